"""Write mapping rows as CSV / TSV (UTF-8, UTF-8 with BOM, or CP932), JSON or XML.

* CSV/TSV cells that a spreadsheet would run as a formula (starting with ``=`` ``+`` ``-``
  ``@``, a tab or a carriage return) get a leading apostrophe, as do cells that already start
  with one, so :func:`unneutralise` gives back the exact value.
* CP932 cannot hold most MJ characters (IVS selectors, JIS X 0213 plane 2, CJK extensions):
  every unencodable cell is an error naming its rows — nothing is written as ``?``.
* JSON is checked against the JSON Schema and XML against the XSD before the file is
  replaced (see :mod:`gaiji.export.schemas`); all writes are atomic.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
from lxml import etree

from gaiji.csvsafe import FORMULA_START, neutralise, unneutralise  # noqa: F401 - re-exported for readers
from gaiji.errors import ContractError, GaijiError
from gaiji.export.columns import BY_NAME, COLUMN_NAMES, META_KEYS, MINIMAL_COLUMNS, MappingRow
from gaiji.export.schemas import FORMAT_NAME, FORMAT_VERSION, XML_NAMESPACE, json_schema, xml_schema
from gaiji.fsutil import atomic_write

FORMATS = ("csv", "tsv", "json", "xml")
ENCODINGS = ("utf-8", "cp932")


class UnencodableRows(GaijiError):
    """The chosen encoding cannot hold some cells."""

    def __init__(self, message: str, problems: list[tuple[int, str, str, str]]) -> None:
        super().__init__(message)
        self.problems = problems  # (row number, gaiji_id, column, value)


def format_of(path: str | Path, fmt: str | None = None) -> str:
    """The table format: *fmt* if given, else from the file suffix.

    >>> format_of('out/mapping.TSV'), format_of('x.txt', 'json')
    ('tsv', 'json')
    """
    if fmt:
        fmt = fmt.lower()
    else:
        fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ContractError(
            f"cannot tell the mapping format of {path}: name it .csv, .tsv, .json or .xml "
            "(or pass --format)"
        )
    return fmt


def _bool(value: str) -> bool:
    return value == "1"


def rows_as_json_objects(rows: Sequence[MappingRow]) -> list[dict[str, Any]]:
    return [
        {name: (_bool(r[name]) if BY_NAME[name].kind == "bool" else r[name]) for name in COLUMN_NAMES}
        for r in rows
    ]


def write_mapping(
    rows: Sequence[MappingRow],
    path: str | Path,
    *,
    fmt: str | None = None,
    encoding: str = "utf-8",
    bom: bool = False,
    meta: dict[str, str] | None = None,
    profile: str = "full",
) -> Path:
    """Write *rows* (in the order given) to *path*, atomically. Returns the path.

    *profile* ``minimal`` writes only ``source, code, mj, ucs, ivs, char`` (CSV/TSV only)."""
    if profile not in ("full", "minimal"):
        raise ContractError(f"unknown profile {profile!r}: use full or minimal")
    fmt = format_of(path, fmt)
    meta = dict(meta or {})
    encoding = encoding.lower().replace("_", "-")
    if encoding in ("shift-jis", "sjis", "windows-31j", "ms932"):
        encoding = "cp932"
    if encoding not in ENCODINGS:
        raise ContractError(f"unknown encoding {encoding!r}: use utf-8 or cp932")
    if fmt in ("json", "xml") and (encoding != "utf-8" or bom):
        raise ContractError(f"{fmt.upper()} mapping tables are always UTF-8 without BOM; drop --encoding/--bom")
    if bom and encoding != "utf-8":
        raise ContractError("--bom applies to UTF-8 only; CP932 has no byte order mark")
    if profile == "minimal" and fmt not in ("csv", "tsv"):
        raise ContractError("the minimal profile is a CSV/TSV table; JSON and XML carry every column")
    if fmt in ("csv", "tsv"):
        columns = MINIMAL_COLUMNS if profile == "minimal" else COLUMN_NAMES
        data = _delimited_bytes(rows, "," if fmt == "csv" else "\t", encoding, bom, columns)
    elif fmt == "json":
        data = _json_bytes(rows, meta)
    else:
        data = _xml_bytes(rows, meta)
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def cp932_safe(row: MappingRow) -> MappingRow:
    """A row CP932 can hold if its base character can: a variation selector (which CP932 has
    no code for) is left out of ``char`` and ``char_base_only`` set to 1 — the selector stays
    in the ``ivs`` column, so nothing is lost and ``gaiji convert`` / ``validate`` put it back."""
    char = row.get("char", "")
    if len(char) == 2 and 0xE0100 <= ord(char[1]) <= 0xE01EF and row.get("ivs"):
        try:
            char[0].encode("cp932")
        except UnicodeEncodeError:
            return row  # the base itself is not in CP932: reported by the caller
        return {**row, "char": char[0], "char_base_only": "1"}
    return row


def _delimited_bytes(rows: Sequence[MappingRow], delimiter: str, encoding: str, bom: bool,
                     columns: Sequence[str] = COLUMN_NAMES) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    if encoding == "cp932":
        if "char_base_only" not in columns:
            columns = [*columns, "char_base_only"]  # the flag must travel with a base-only char
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(columns)
        rows = [cp932_safe(r) for r in rows]
    for r in rows:
        writer.writerow([neutralise(r.get(name, "")) for name in columns])
    text = buffer.getvalue()
    if encoding == "utf-8":
        return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    problems: list[tuple[int, str, str, str]] = []
    for number, r in enumerate(rows, start=1):
        for name in columns:
            try:
                r.get(name, "").encode("cp932")
            except UnicodeEncodeError:
                problems.append((number, r["gaiji_id"], name, r[name]))
    if problems:
        shown = "; ".join(
            f"row {n} ({gid}) {col} {val!r} ({' '.join(f'U+{ord(c):04X}' for c in val)})"
            for n, gid, col, val in problems[:20]
        )
        more = f" and {len(problems) - 20} more" if len(problems) > 20 else ""
        affected = len({p[0] for p in problems})
        raise UnencodableRows(
            f"CP932 cannot encode {len(problems)} cell(s) in {affected} row(s): {shown}{more}. "
            "(Selectors are no problem: they are written in the ivs column with char_base_only=1; these "
            "are characters CP932 has no code for at all.) Nothing was written. Write UTF-8 instead "
            "(--encoding utf-8, add --bom for Excel).",
            problems,
        )
    return text.encode("cp932")


def _json_bytes(rows: Sequence[MappingRow], meta: dict[str, str]) -> bytes:
    doc: dict[str, Any] = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION}
    for key in META_KEYS:
        if key in meta:
            doc[key] = meta[key]
    doc["rows"] = rows_as_json_objects(rows)
    errors = sorted(jsonschema.Draft202012Validator(json_schema()).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        raise ContractError(
            "internal error: the mapping does not satisfy mapping.schema.json: "
            + "; ".join(f"{'/'.join(str(p) for p in e.path)}: {e.message}" for e in errors[:10])
        )
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _xml_bytes(rows: Sequence[MappingRow], meta: dict[str, str]) -> bytes:
    ns = f"{{{XML_NAMESPACE}}}"
    root = etree.Element(ns + "mapping", nsmap={None: XML_NAMESPACE})
    root.set("format_version", str(FORMAT_VERSION))
    for key in META_KEYS:
        if key in meta:
            root.set(key, meta[key])
    for number, r in enumerate(rows, start=1):
        el = etree.SubElement(root, ns + "row")
        for name in COLUMN_NAMES:
            child = etree.SubElement(el, ns + name)
            try:
                child.text = r[name]
            except ValueError as exc:  # control characters XML 1.0 cannot carry
                raise ContractError(
                    f"row {number} ({r['gaiji_id']}) {name}: {r[name]!r} cannot be written to XML ({exc})"
                ) from exc
    schema = xml_schema()
    if not schema.validate(root):
        raise ContractError(
            "internal error: the mapping does not satisfy mapping.xsd: "
            + "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:10])
        )
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
