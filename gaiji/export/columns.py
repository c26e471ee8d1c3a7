"""The columns of the mapping table (the **contract** vendors import), defined once.

``mappings/mapping.schema.json`` and ``mappings/mapping.xsd`` mirror this list (a test checks
they agree); writers, readers and ``gaiji validate`` all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

IDENTIFICATION_CLASSES = ("字形一致", "デザイン差", "類似", "該当なし")
"""同定区分: same glyph / design difference only / similar (a different but acceptable
glyph) / no MJ character corresponds."""

STATUSES = ("final", "pending", "disputed")
"""Only ``final`` rows are exported unless ``--include-pending``."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | bool | datetime | enum
    description: str
    pattern: str = ""  # regular expression a non-empty value must match (whole value)
    required: bool = False  # must be non-empty on every row
    optional: bool = False  # added after format version 1 shipped: a table may leave the column out


# Patterns are shared with the JSON Schema and the XSD (XSD patterns are implicitly anchored).
UCS_PATTERN = r"U\+[0-9A-F]{4,6}"
IVS_PATTERN = r"U\+E01[0-9A-E][0-9A-F]"
MJ_PATTERN = r"MJ[0-9]{6}"
JUKI_PATTERN = r"J\+[0-9A-F]{4,6}"
KOSEKI_PATTERN = r"[0-9]{6}"
REF_SET_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.+\-]{0,63}"
DATETIME_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+\-][0-9]{2}:[0-9]{2})"

COLUMNS: tuple[Column, ...] = (
    Column("source", "text", "Where the gaiji came from (source file name as extracted).", required=True),
    Column("code", "text", "Its code in that source: U+E000 (PUA) or F040 (Shift_JIS user-defined area), "
           "or the source's own code.", required=True),
    Column("gaiji_id", "text", "Stable id of the gaiji in the gaiji set.", required=True),
    Column("mj", "text", "MJ文字図形名 of the identified MJ character (empty for 該当なし and for a "
           "character of an added reference set, see ref_set).",
           pattern=MJ_PATTERN),
    Column("ucs", "text", "Base code point of the identified character (for an added set's character "
           "it may be a private-use code point: see ref_set, ref_font).", pattern=UCS_PATTERN),
    Column("ivs", "text", "Ideographic variation selector (Moji_Joho collection), empty if none.",
           pattern=IVS_PATTERN),
    Column("char", "text", "The character itself: base + selector."),
    Column("fallback_char", "text", "縮退 character for systems without IVS / MJ support."),
    Column("fallback_ucs", "text", "Its code point(s), space separated.",
           pattern=rf"{UCS_PATTERN}( {UCS_PATTERN})*"),
    Column("fallback_basis", "text", "Why this fallback: the MJ縮退マップ table (and 順位/hops) or "
           "IVS除去 / 同一文字."),
    Column("use_fallback", "bool", "1 when the target font checked at export cannot draw char: "
           "write fallback_char instead."),
    Column("juki_code", "text", "住基ネット統一文字コード from the MJ table.", pattern=JUKI_PATTERN),
    Column("koseki_number", "text", "戸籍統一文字番号 from the MJ table.", pattern=KOSEKI_PATTERN),
    Column("identification_class", "enum", "同定区分: " + " / ".join(IDENTIFICATION_CLASSES) + "."),
    Column("decided_by", "text", "Who decided (reviewer, or auto-accept)."),
    Column("decided_at", "datetime", "When (ISO 8601, UTC).", pattern=DATETIME_PATTERN),
    Column("checked_by", "text", "Who checked (second reviewer)."),
    Column("checked_at", "datetime", "When (ISO 8601, UTC).", pattern=DATETIME_PATTERN),
    Column("auto_accepted", "bool", "1 when the matcher's confidence accepted it without a reviewer."),
    Column("reference_version", "text", "The MJ reference the decision was made against."),
    Column("status", "enum", "final, or pending / disputed (only with --include-pending).",
           required=True),
    # added later (issue 13): optional, so tables written before them stay valid
    Column("sjis_code", "text", "Shift_JIS user-defined code (F040–F9FC) of the gaiji when its code is in "
           "U+E000–U+E757 or already a Shift_JIS code; empty otherwise.", pattern=r"F[0-9][0-9A-F]{2}",
           optional=True),
    Column("char_base_only", "bool", "1 when char holds only the base character because the table's encoding "
           "(CP932) cannot hold the selector: the character is char followed by the ivs column.",
           optional=True),
    Column("review_chain_head", "text", "The review record's audit-chain head at export, as event "
           "number:SHA-256; `gaiji review log SET --verify --expect-head` checks the record still holds it. "
           "May be absent in tables written before it was added.",
           pattern=r"[0-9]+:[0-9a-f]{64}", optional=True),
    # added later (issue 11, reference sets beyond MJ): optional, so older tables stay valid
    Column("ref_set", "text", "The reference set the character was identified in: MJ, or the name of an "
           "added set (行政事務標準文字, a vendor's set, …; mj is then empty and ucs/ivs/char are that set's "
           "code — possibly a private-use code point only its font draws); empty for 該当なし.",
           pattern=REF_SET_PATTERN, optional=True),
    Column("ref_id", "text", "The character's identifier in that set (the MJ文字図形名 for MJ).", optional=True),
    Column("ref_font", "text", "For an added set: the name of the set's font that draws the character "
           "(install it to render a private-use code point).", optional=True),
    Column("ref_set_version", "text", "For an added set: the set's build the decision was made against "
           "(its list and fonts by SHA-256).", optional=True),
)

MINIMAL_COLUMNS: tuple[str, ...] = ("source", "code", "mj", "ucs", "ivs", "char")
"""The minimal profile (``--profile minimal``): what a vendor needs to key and convert."""

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.optional)
"""Columns every full table has (the optional ones came later)."""
META_KEYS = ("generator", "generated_at", "reference_version", "review_chain_head", "review_signing_key")
"""Table-level facts JSON (top-level keys) and XML (attributes of ``mapping``) carry."""
BY_NAME = {c.name: c for c in COLUMNS}
ENUMS: dict[str, tuple[str, ...]] = {"identification_class": IDENTIFICATION_CLASSES, "status": STATUSES}

MappingRow = dict[str, str]
"""One row: every column name → its text value ('' when empty; bools are '1' / '0')."""


def is_added_set(ref_set: str) -> bool:
    """Does a ``ref_set`` value name an added reference set (not MJ, not empty)?

    >>> is_added_set("MJplus"), is_added_set("MJ"), is_added_set("")
    (True, False, False)
    """
    return bool(ref_set) and ref_set != "MJ"


def empty_row() -> MappingRow:
    row = {name: "" for name in COLUMN_NAMES}
    row["char_base_only"] = "0"
    return row
