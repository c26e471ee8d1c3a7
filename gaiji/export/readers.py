"""Read a mapping table from anyone — ours or a vendor's — as CSV, TSV, JSON or XML.

Reading never stops at the first bad row: problems (wrong encoding, syntax, unknown or
missing columns, formula cells) are collected with the row they belong to, so
``gaiji validate`` can list them all. Only a table that cannot be examined at all (missing
file, unknown format) raises :class:`MappingUnreadable`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from gaiji.errors import GaijiError
from gaiji.export.columns import BY_NAME, COLUMN_NAMES
from gaiji.export.schemas import XML_NAMESPACE
from gaiji.export.writers import FORMULA_START, format_of, unneutralise


class MappingUnreadable(GaijiError):
    """The mapping table cannot be opened or its format cannot be told."""


@dataclass(frozen=True)
class Problem:
    severity: str  # error | warning
    where: str  # 'row 3 (line 4, g001)', 'line 7', 'file'
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


@dataclass
class ReadRow:
    number: int  # 1-based data row
    label: str  # how messages name the row
    values: dict[str, Any]  # column → value as read (strings; JSON may hold other types)
    line: int = 0  # where the row starts in the file (CSV/TSV/XML), 0 when unknown


@dataclass
class MappingTable:
    path: Path
    format: str
    rows: list[ReadRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    document: Any = None  # parsed JSON object or lxml root

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem("error", where, message))

    def warning(self, where: str, message: str) -> None:
        self.problems.append(Problem("warning", where, message))


def _label(number: int, gaiji_id: Any, line: int | None = None) -> str:
    gid = f", {gaiji_id}" if isinstance(gaiji_id, str) and gaiji_id else ""
    return f"row {number} (line {line}{gid})" if line else f"row {number}{(' (' + gid[2:] + ')') if gid else ''}"


def read_mapping(path: str | Path, *, encoding: str = "auto", fmt: str | None = None) -> MappingTable:
    """Read *path*. *encoding* (CSV/TSV only): ``auto`` (UTF-8, BOM allowed), ``utf-8`` or ``cp932``."""
    path = Path(path)
    try:
        fmt = format_of(path, fmt)
    except GaijiError as exc:
        raise MappingUnreadable(str(exc)) from exc
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise MappingUnreadable(f"{path}: no such file") from exc
    except OSError as exc:
        raise MappingUnreadable(f"cannot read {path}: {exc.strerror or exc}") from exc
    table = MappingTable(path, fmt)
    if fmt in ("csv", "tsv"):
        _read_delimited(table, data, "," if fmt == "csv" else "\t", encoding)
    elif fmt == "json":
        _read_json(table, data)
    else:
        _read_xml(table, data)
    return table


def _decode(table: MappingTable, data: bytes, encoding: str) -> str | None:
    enc = encoding.lower().replace("_", "-")
    if enc in ("shift-jis", "sjis", "windows-31j", "ms932"):
        enc = "cp932"
    if enc not in ("auto", "utf-8", "utf-8-sig", "cp932"):
        raise MappingUnreadable(f"unknown encoding {encoding!r}: use auto, utf-8 or cp932")
    if data.startswith(b"\xef\xbb\xbf"):
        if enc == "cp932":
            table.error("file", "starts with a UTF-8 byte order mark but --encoding cp932 was given")
            return None
        data, enc = data[3:], "utf-8"
    codec = "cp932" if enc == "cp932" else "utf-8"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        bad_lines = []
        pos = exc.start
        text_ok = data[:pos]
        while len(bad_lines) < 5:
            line = text_ok.count(b"\n") + 1
            bad_lines.append(f"line {line} (byte {pos}: {data[pos:pos + 2].hex(' ').upper()})")
            nxt = data.find(b"\n", pos)
            if nxt < 0:
                break
            rest = data[nxt + 1:]
            try:
                rest.decode(codec)
                break
            except UnicodeDecodeError as again:
                pos = nxt + 1 + again.start
                text_ok = data[:pos]
        hint = ("if it is Shift_JIS, pass --encoding cp932" if codec == "utf-8"
                else "if it is UTF-8, pass --encoding utf-8")
        table.error("file", f"not valid {codec.upper()} at {', '.join(bad_lines)}; {hint}")
        return None


def _read_delimited(table: MappingTable, data: bytes, delimiter: str, encoding: str) -> None:
    text = _decode(table, data, encoding)
    if text is None:
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        table.error("file", "is empty: expected a header line with the column names")
        return
    except csv.Error as exc:
        table.error("line 1", f"cannot parse the header: {exc}")
        return
    header = [h.strip() for h in header]
    _check_header(table, header, "line 1")
    number = 0
    start_line = 2
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            table.error(f"line {reader.line_num}", f"cannot parse: {exc}")
            break
        line = start_line
        start_line = reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        number += 1
        values: dict[str, Any] = {}
        gid = cells[header.index("gaiji_id")] if "gaiji_id" in header and header.index("gaiji_id") < len(cells) else ""
        label = _label(number, unneutralise(gid), line)
        if len(cells) != len(header):
            table.error(label, f"has {len(cells)} fields, the header has {len(header)}")
        for name, raw in zip(header, cells):
            if raw and raw[0] in FORMULA_START:
                table.error(label, f"{name} {raw!r} starts with {raw[0]!r}: a spreadsheet would run it "
                                   "as a formula; prefix the cell with an apostrophe (') or remove it")
            values[name] = unneutralise(raw)
        table.rows.append(ReadRow(number, label, values, line))


def _check_header(table: MappingTable, names: list[str], where: str) -> None:
    missing = [c for c in COLUMN_NAMES if c not in names and not BY_NAME[c].optional]
    unknown = [n for n in names if n not in BY_NAME]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if missing:
        table.error(where, f"missing column(s): {', '.join(missing)}")
    if unknown:
        table.error(where, f"unknown column(s): {', '.join(unknown)} (see mappings/README.md)")
    if dupes:
        table.error(where, f"column(s) given twice: {', '.join(dupes)}")


def _read_json(table: MappingTable, data: bytes) -> None:
    if data.startswith(b"\xef\xbb\xbf"):
        table.warning("file", "starts with a byte order mark (JSON should not have one)")
        data = data[3:]
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        table.error("file", f"not valid UTF-8 at line {line}; JSON mapping tables are UTF-8")
        return
    except json.JSONDecodeError as exc:
        table.error(f"line {exc.lineno}", f"not valid JSON: {exc.msg} (column {exc.colno})")
        return
    table.document = doc
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        table.error("file", 'expected an object with a "rows" array (see mappings/mapping.schema.json)')
        return
    table.meta = {k: v for k, v in doc.items() if k != "rows"}
    for i, item in enumerate(doc["rows"], start=1):
        if not isinstance(item, dict):
            table.error(f"row {i}", "is not an object")
            continue
        values = {k: ("1" if v is True else "0" if v is False else v) for k, v in item.items()}
        table.rows.append(ReadRow(i, _label(i, item.get("gaiji_id")), values))


def _read_xml(table: MappingTable, data: bytes) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        table.error(f"line {exc.lineno}", f"not well-formed XML: {exc.msg}")
        return
    table.document = root
    ns = f"{{{XML_NAMESPACE}}}"
    if root.tag != ns + "mapping":
        table.error("file", f"root element is {root.tag!r}; expected mapping in namespace {XML_NAMESPACE}")
        return
    table.meta = dict(root.attrib)
    number = 0
    for el in root:
        if not isinstance(el.tag, str):
            continue
        number += 1
        values: dict[str, Any] = {}
        for child in el:
            if isinstance(child.tag, str):
                name = etree.QName(child).localname
                text = child.text or ""
                if BY_NAME.get(name) is not None and BY_NAME[name].kind == "bool":
                    text = {"true": "1", "false": "0"}.get(text.strip(), text.strip())
                values[name] = text
        table.rows.append(ReadRow(number, _label(number, values.get("gaiji_id"), el.sourceline), values,
                                  el.sourceline or 0))
