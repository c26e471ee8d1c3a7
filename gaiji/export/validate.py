"""``gaiji validate MAPPING``: check a mapping table from anyone before it is imported.

Checks, each reported with the row it concerns:

* the file: encoding (UTF-8, or CP932 when told), CSV/JSON/XML syntax, the columns;
* the schema (``mappings/mapping.schema.json``; XML also ``mappings/mapping.xsd``);
* spreadsheet formula cells (``=`` ``+`` ``-`` ``@`` tab CR at the start of a CSV cell);
* against the MJ reference: the MJ number exists; ``ucs``, ``ivs`` and ``char`` are the ones
  the MJ table gives for it; 住基 and 戸籍 numbers agree; the fallback is a real character
  without selector, written as its ``fallback_ucs`` says;
* a row that points at an added reference set (``ref_set``, ``ref_id``): checked against that
  set when it is installed here (the identifier exists, ``ucs`` / ``ivs`` / ``char`` are the
  set's — a private-use code point is valid for such a row, and only for such a row); a
  warning when the set is not installed;
* within a row: 該当なし names no MJ number; a final row says who decided (warning);
* across rows: one target per (source, code); no conflicting duplicate ``gaiji_id``.

Exit codes of the command (for batch jobs):

====  ===========================================================================
0     valid (warnings may have been printed)
1     invalid: the problems are listed, one per line, each naming its row
2     not examined: usage error, file missing or unreadable, unknown format, or no
      MJ reference to check against
====  ===========================================================================
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from gaiji.codes import is_pua, is_variation_selector
from gaiji.export.columns import BY_NAME, COLUMN_NAMES, META_KEYS, is_added_set
from gaiji.export.readers import MappingTable, Problem, ReadRow, read_mapping
from gaiji.export.schemas import FORMAT_NAME, FORMAT_VERSION, json_schema, xml_schema

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


@dataclass
class ValidationReport:
    path: Path
    format: str
    rows: int
    problems: list[Problem]
    reference_version: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return EXIT_VALID if self.valid else EXIT_INVALID


def _row_validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    row_schema = dict(schema["$defs"]["row"])
    return jsonschema.Draft202012Validator(row_schema)


def row_as_json(values: dict[str, Any]) -> dict[str, Any]:
    """Row values as read (strings, '1'/'0' for flags) → the JSON form the schema checks."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        col = BY_NAME.get(k)
        if col is not None and col.optional and v == "":
            continue  # an optional column left empty is the same as one left out
        if col is not None and col.kind == "bool" and v in ("0", "1"):
            out[k] = v == "1"
        else:
            out[k] = v
    return out


def schema_problems(rows: list[ReadRow]) -> list[Problem]:
    """Every row checked against the row schema (all formats)."""
    validator = _row_validator()
    problems = []
    for row in rows:
        for err in sorted(validator.iter_errors(row_as_json(row.values)), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in err.path)
            value = err.instance if err.path else None
            message = err.message if value is None else f"{where} {value!r}: {_schema_message(err)}"
            problems.append(Problem("error", row.label, message))
    return problems


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "pattern":
        return f"does not match {err.validator_value}"
    if err.validator == "enum":
        return "must be one of " + ", ".join(repr(v) for v in err.validator_value)
    if err.validator == "minLength":
        return "must not be empty here"
    if err.validator == "type" and err.validator_value == "boolean":
        return "must be 1 or 0"
    return err.message


def validate_mapping(
    path: str | Path,
    reference: Any | None,
    *,
    encoding: str = "auto",
    fmt: str | None = None,
    profile: str = "full",
    ref_sets: list[Any] | None = None,
) -> ValidationReport:
    """Validate the mapping table at *path*; *reference* (``load_reference()``) enables the MJ
    checks (``None`` checks file, schema and cross-row rules only). Rows pointing at an added
    reference set are checked against *ref_sets* (default: the sets installed beside
    *reference*).

    Raises :class:`~gaiji.export.readers.MappingUnreadable` when the file cannot be examined.
    """
    table = read_mapping(path, encoding=encoding, fmt=fmt, profile=profile)
    problems = list(table.problems)
    if not any(p.where in ("file",) and p.severity == "error" for p in table.problems):
        problems += _document_problems(table)
        structural_ok = not any(p.severity == "error" and p.where.startswith("line 1") for p in problems)
        if table.format != "xml" or not any(p.message.startswith("XSD") for p in problems):
            problems += schema_problems(table.rows) if structural_ok else []
        rule_problems = row_rule_problems(table.rows)
        if table.profile == "minimal":  # a minimal table does not say who decided
            rule_problems = [p for p in rule_problems if "decided_by is empty" not in p.message]
        problems += rule_problems
        if reference is not None:
            if ref_sets is None:
                from gaiji.export.mapping import installed_sets

                ref_sets = installed_sets(reference)
            problems += reference_problems(table.rows, reference, ref_sets={s.name: s for s in ref_sets})
        problems += cross_row_problems(table.rows)
    return ValidationReport(
        path=table.path, format=table.format, rows=len(table.rows), problems=problems,
        reference_version=str(getattr(reference, "version_label", "")) if reference is not None else "",
    )


def _document_problems(table: MappingTable) -> list[Problem]:
    out: list[Problem] = []
    if table.format == "json" and isinstance(table.document, dict):
        if table.document.get("format") != FORMAT_NAME:
            out.append(Problem("error", "file", f'"format" must be "{FORMAT_NAME}"'))
        if table.document.get("format_version") != FORMAT_VERSION:
            out.append(Problem("error", "file", f'"format_version" must be {FORMAT_VERSION}'))
        extra = set(table.document) - {"format", "format_version", "rows", *META_KEYS}
        if extra:
            out.append(Problem("error", "file", f"unknown top-level key(s): {', '.join(sorted(extra))}"))
    if table.format == "xml" and table.document is not None:
        schema = xml_schema()
        if not schema.validate(table.document):
            starts = [r.line for r in table.rows]
            for e in list(schema.error_log)[:50]:
                at = bisect.bisect_right(starts, e.line) - 1
                where = table.rows[at].label if at >= 0 and starts[at] else f"line {e.line}"
                out.append(Problem("error", where, f"XSD (line {e.line}): {e.message}"))
    return out


def _text(values: dict[str, Any], name: str) -> str:
    v = values.get(name, "")
    return v if isinstance(v, str) else ""


def _notation(text: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in text)


def full_char(values: dict[str, Any]) -> str:
    """The identified character of a row: ``char``, or ``char`` + the ``ivs`` selector when the
    table had to write the base only (``char_base_only`` = 1, CP932 tables)."""
    char = _text(values, "char")
    if _text(values, "char_base_only") == "1" and char and len(char) == 1:
        ivs = _text(values, "ivs")
        if ivs.startswith("U+"):
            try:
                return char + chr(int(ivs[2:], 16))  # noqa: FURB166 - the prefix is U+, not 0x
            except ValueError:
                return char
    return char


def _registered_ivs(reference: Any, text: str, cache: dict[str, bool]) -> bool:
    """Is base + selector *text* a variation sequence the reference registers (the MJ table's
    Moji_Joho collection: the IVS that IPAmj明朝 implements)?"""
    known = cache.get(text)
    if known is None:
        try:
            known = any(r.char == text for r in reference.by_char(text, limit=8))
        except (AttributeError, LookupError, ValueError):
            known = True  # a reference without lookups cannot say; other checks still run
        cache[text] = known
    return known


def _set_row_problems(row: ReadRow, ref_sets: dict[str, Any], err: Callable[[str], None]) -> list[Problem]:
    """A row pointing at an added set: the entry exists and the row carries its code."""
    v = row.values
    name, set_id = _text(v, "ref_set"), _text(v, "ref_id")
    ref_set = ref_sets.get(name)
    if ref_set is None:
        return [Problem("warning", row.label, f"ref_set {name} is not installed here, so {set_id} {_text(v, 'ucs')} "
                                              f"was not checked against it (`gaiji reference add-set {name} …`)")]
    try:
        rec = ref_set.record(set_id)
    except KeyError:
        err(f"{set_id} is not an identifier of the added set {name} ({ref_set.version_label})")
        return []
    got = (_text(v, "ucs"), _text(v, "ivs"))
    if got != (rec.ucs, rec.ivs):
        err(f"{name} {set_id} is {' '.join(x for x in (rec.ucs, rec.ivs) if x) or 'no code'} in the set, but the row "
            f"says {' '.join(x for x in got if x) or 'nothing'}")
    elif full_char(v) and full_char(v) != rec.char:
        err(f"{name} {set_id} is {rec.char!r} in the set, but char is {full_char(v)!r}")
    font = _text(v, "ref_font")
    if font and rec.font_name and font != rec.font_name:
        err(f"{name} {set_id} is drawn by the font {rec.font_name!r}, but ref_font says {font!r}")
    return []


def reference_problems(rows: list[ReadRow], reference: Any, *, ref_sets: dict[str, Any] | None = None) -> list[Problem]:
    """MJ numbers exist; UCS, IVS, char, 住基, 戸籍 agree with the MJ table; every variation
    sequence is registered; fallbacks are sane; rows of an added set agree with that set."""
    out: list[Problem] = []
    ivs_cache: dict[str, bool] = {}
    for row in rows:
        v = row.values
        err: Callable[[str], None] = lambda m, row=row: out.append(Problem("error", row.label, m))
        mj, ucs_, ivs_ = (_text(v, k) for k in ("mj", "ucs", "ivs"))
        char = full_char(v)
        in_set = is_added_set(_text(v, "ref_set"))
        if in_set:
            out.extend(_set_row_problems(row, ref_sets or {}, err))
        if len(char) == 2 and not in_set and is_variation_selector(char[1]) and not _registered_ivs(reference, char, ivs_cache):
            err(f"char {_notation(char)} is not a registered variation sequence: the reference's IVS list "
                f"(Moji_Joho collection, {getattr(reference, 'version_label', '')}) has no {_notation(char[1])} "
                f"for {char[0]}; data written with it would show an unknown glyph or nothing — use a registered "
                f"IVS or the base character")
        if char:
            expect = (_notation(char[0]), _notation(char[1:]) if len(char) == 2 else "")
            if len(char) > 2 or (len(char) == 2 and not is_variation_selector(char[1])):
                err(f"char {char!r} ({_notation(char)}) is not one character with an optional selector")
            elif (ucs_, ivs_) != expect:
                err(f"char {char!r} is {' '.join(x for x in expect if x)}, but ucs/ivs say "
                    f"{' '.join(x for x in (ucs_, ivs_) if x) or 'nothing'}")
            if is_pua(ord(char[0])) and not in_set:
                err(f"char {_notation(char)} is a private-use code point: it identifies nothing (only a row "
                    "pointing at an added reference set — ref_set, ref_id — may carry one: that set's font draws it)")
        if mj:
            try:
                rec = reference.record(mj)
            except (KeyError, IndexError, LookupError, ValueError):
                err(f"{mj} is not in the MJ table ({getattr(reference, 'version_label', '')})")
                rec = None
            if rec is not None:
                if (ucs_, ivs_) != (rec.ucs, rec.ivs):
                    want = " ".join(x for x in (rec.ucs, rec.ivs) if x) or "no UCS"
                    got = " ".join(x for x in (ucs_, ivs_) if x) or "nothing"
                    err(f"{mj} is {want} in the MJ table, but the row says {got}")
                elif char and char != rec.char:
                    err(f"{mj} is {rec.char!r} in the MJ table, but char is {char!r}")
                for name, want_value in (("juki_code", rec.juki), ("koseki_number", rec.koseki)):
                    got_value = _text(v, name)
                    if got_value and got_value != want_value:
                        err(f"{name} {got_value} disagrees with the MJ table's {want_value or 'empty'} for {mj}")
        fb, fb_ucs = _text(v, "fallback_char"), _text(v, "fallback_ucs")
        if fb:
            if any(is_variation_selector(c) for c in fb):
                err(f"fallback_char {_notation(fb)} carries a variation selector; a fallback is for "
                    "systems without IVS")
            if fb_ucs and fb_ucs != _notation(fb):
                err(f"fallback_char {fb!r} is {_notation(fb)}, but fallback_ucs says {fb_ucs}")
            if any(is_pua(ord(c)) for c in fb):
                err(f"fallback_char {_notation(fb)} is a private-use code point")
    return out


def row_rule_problems(rows: list[ReadRow]) -> list[Problem]:
    """Rules within a row that the schema cannot say."""
    out: list[Problem] = []
    not_final = [r for r in rows if _text(r.values, "status") in ("pending", "disputed")]
    if not_final:
        out.append(Problem("warning", not_final[0].label,
                           f"{len(not_final)} row(s) are pending or disputed (first: this one): not decisions "
                           "yet — do not import them; `gaiji convert` ignores them"))
    for row in rows:
        v = row.values
        if _text(v, "identification_class") == "該当なし" and _text(v, "mj"):
            out.append(Problem("error", row.label, f"identification_class is 該当なし but mj is {_text(v, 'mj')}"))
        if _text(v, "identification_class") == "該当なし" and is_added_set(_text(v, "ref_set")):
            out.append(Problem("error", row.label, f"identification_class is 該当なし but the row points at "
                                                   f"{_text(v, 'ref_set')} {_text(v, 'ref_id')}"))
        for name in ("char", "fallback_char"):
            bad = [c for c in _text(v, name) if ord(c) < 0x80 or unicodedata.category(c) in ("Cc", "Zl", "Zp")]
            if bad:
                out.append(Problem("error", row.label, f"{name} contains {', '.join(f'U+{ord(c):04X}' for c in bad)}: "
                                   "a control or ASCII character is no identified character"))
        if _text(v, "status") == "final" and not _text(v, "decided_by"):
            out.append(Problem("warning", row.label, "final, but decided_by is empty: who decided?"))
    return out


def _target(values: dict[str, Any]) -> tuple[str, ...]:
    return (_text(values, "mj"), full_char(values), _text(values, "fallback_char"), _text(values, "use_fallback"))


def code_key(code: str) -> str:
    """One form for the codes that name the same gaiji: ``U+E000``, ``F040`` and
    ``0xF040`` (Shift_JIS user-defined area) are all ``U+E000``; anything else is itself, upper-cased.

    >>> code_key('u+e000'), code_key('F040'), code_key('0xf040'), code_key('0x7521'), code_key('F9FC')
    ('U+E000', 'U+E000', 'U+E000', '0X7521', 'U+E757')
    """
    from gaiji.codes import sjis_to_pua

    text = code.strip().upper()
    if text.startswith("U+"):
        try:
            return f"U+{int(text[2:], 16):04X}"  # noqa: FURB166 - the prefix is U+, not 0x
        except ValueError:
            return text
    hexa = text.removeprefix("0X")
    if len(hexa) == 4:
        try:
            return f"U+{sjis_to_pua(int(hexa, 16)):04X}"
        except ValueError:
            return text
    return text


def cross_row_problems(rows: list[ReadRow]) -> list[Problem]:
    """One target per (source, code); duplicates of a gaiji_id must agree."""
    out: list[Problem] = []
    by_id: dict[str, list[ReadRow]] = defaultdict(list)
    by_code: dict[tuple[str, str], list[ReadRow]] = defaultdict(list)
    by_bare_code: dict[str, list[ReadRow]] = defaultdict(list)
    for row in rows:
        gid = _text(row.values, "gaiji_id")
        if gid:
            by_id[gid].append(row)
        code = code_key(_text(row.values, "code"))
        if code and _text(row.values, "status") in ("final", ""):
            by_code[(_text(row.values, "source"), code)].append(row)
            by_bare_code[code].append(row)
    for gid, group in by_id.items():
        if len(group) < 2:
            continue
        first = group[0]
        for other in group[1:]:
            same = all(other.values.get(c) == first.values.get(c) for c in COLUMN_NAMES)
            if same:
                out.append(Problem("warning", other.label, f"repeats {first.label} exactly (gaiji_id {gid})"))
            else:
                differ = [c for c in COLUMN_NAMES if other.values.get(c) != first.values.get(c)]
                out.append(Problem("error", other.label, f"gaiji_id {gid} also in {first.label} with a "
                                                         f"different {', '.join(differ[:5])}"))
    for (source, code), group in by_code.items():
        targets = {_target(r.values) for r in group}
        if len(targets) > 1:
            listing = "; ".join(f"{r.label} {_text(r.values, 'code')} → {_text(r.values, 'mj') or '-'} "
                                f"{full_char(r.values)!r}" for r in group)
            forms = sorted({_text(r.values, "code").strip() for r in group})
            also = (f" (written as {' and '.join(forms)}: the same gaiji under two code forms)"
                    if len(forms) > 1 else "")
            out.append(Problem("error", group[0].label,
                               f"code {code} of source {source!r} maps to {len(targets)} different targets "
                               f"({listing}){also}; one source code must have one target"))
    for code, group in by_bare_code.items():
        sources = {_text(r.values, "source") for r in group}
        targets = {_target(r.values) for r in group}
        if len(sources) > 1 and len(targets) > 1:
            out.append(Problem("warning", group[0].label,
                               f"code {code} means different characters in sources "
                               f"{', '.join(sorted(sources))}: `gaiji convert` needs --source to choose"))
    return out
