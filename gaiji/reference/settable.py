"""The character list of an added reference set (CSV or XLSX), read into typed rows.

One row per character of the set. Columns are found by name (first match wins, header
compared without spaces, brackets or case); ``columns`` overrides any of them
(``{"id": "字形番号"}``). Only an identifier column is required; a row needs a code or a
glyph name for its glyph to be found in the set's fonts.

=============  ==========================================================================
field          default column names (Japanese first, then English)
=============  ==========================================================================
id             文字ID, 識別番号, 文字番号, 字形番号, 番号, id, identifier
code           UCS, 符号位置, コード, 文字コード, code, ucs, codepoint — ``U+2A700``,
               ``2A700``, ``U+845B U+E0100`` (with an IVS), a PUA code, or the character
ivs            IVS, 異体字セレクタ, ivs, selector — ``U+E0100`` (when not in code)
char           文字, 字形, char, character — the character itself (used when no code)
glyph          グリフ名, グリフ, glyph, glyph_name — a glyph name of the font, or ``#123``
               for glyph index 123 (wins over the code)
font           フォント, フォント名, font — file name (with or without extension) of one of
               the ``--font`` files (default: the first font that has the glyph)
readings       読み, よみ, 音訓, reading, readings — several separated by ・ , / 、 or spaces
radical        部首, 部首番号, radical — 康煕部首 number 1–214
inner_strokes  内画数, 部首内画数, inner_strokes
strokes        総画数, 画数, strokes, total_strokes
related_mj     MJ文字図形名, 対応MJ, 関連MJ, related_mj, mj
related_ucs    対応UCS, 関連UCS, 縮退UCS, related_ucs
koseki         戸籍統一文字番号, koseki
juki           住基ネット統一文字コード, 住基コード, juki
note           備考, note
=============  ==========================================================================
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from gaiji.codes import VS_RANGE, format_mj, is_mj
from gaiji.errors import InputError

FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("文字ID", "識別番号", "文字番号", "字形番号", "番号", "id", "identifier"),
    "code": ("UCS", "符号位置", "コード", "文字コード", "code", "ucs", "codepoint", "code_point"),
    "ivs": ("IVS", "異体字セレクタ", "ivs", "selector"),
    "char": ("文字", "字形", "char", "character"),
    "glyph": ("グリフ名", "グリフ", "glyph", "glyph_name"),
    "font": ("フォント", "フォント名", "font"),
    "readings": ("読み", "よみ", "音訓", "reading", "readings"),
    "radical": ("部首", "部首番号", "radical"),
    "inner_strokes": ("内画数", "部首内画数", "inner_strokes"),
    "strokes": ("総画数", "画数", "strokes", "total_strokes"),
    "related_mj": ("MJ文字図形名", "対応MJ", "関連MJ", "related_mj", "mj"),
    "related_ucs": ("対応UCS", "関連UCS", "縮退UCS", "related_ucs"),
    "koseki": ("戸籍統一文字番号", "koseki"),
    "juki": ("住基ネット統一文字コード", "住基コード", "juki"),
    "note": ("備考", "note"),
}
_CODE_RE = re.compile(r"(?:[Uu]\+|0[xX])?([0-9A-Fa-f]{4,6})")
_READING_SPLIT = re.compile(r"[・,，、/／\s]+")


@dataclass(frozen=True)
class TableRow:
    """One row of a set's list, parsed (``line`` is its 1-based row in the file, header = 1)."""

    line: int
    id: str
    base: int | None  # code point of the character (PUA allowed), None when the list gives none
    selector: int | None  # variation selector code point, or None
    glyph: str  # glyph name or '#index' ('' = by code)
    font: str
    readings: tuple[str, ...]
    radical: int | None
    inner_strokes: int | None
    strokes: int | None
    related_mj: str
    related_ucs: str
    koseki: str
    juki: str
    note: str
    problems: tuple[str, ...] = ()  # values that could not be read (reported, row kept)


@dataclass
class SetTable:
    path: Path
    columns: dict[str, str]  # field → header used
    rows: list[TableRow] = field(default_factory=list)
    encoding: str = ""


def _header_key(text: str) -> str:
    return re.sub(r"[\s\u3000()（）\[\]「」_\-]", "", str(text)).lower()


def map_columns(header: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """field → the header that holds it.

    >>> map_columns(["文字ID", "UCS", "読み"])
    {'id': '文字ID', 'code': 'UCS', 'readings': '読み'}
    >>> map_columns(["No", "符号"], {"id": "No", "code": "符号"})
    {'id': 'No', 'code': '符号'}
    """
    keys = {_header_key(h): h for h in reversed(header) if str(h).strip()}
    found: dict[str, str] = {}
    overrides = dict(overrides or {})
    for name, column in overrides.items():
        if name not in FIELDS:
            raise InputError(f"--columns {name}={column}: unknown field {name!r}; fields are {', '.join(FIELDS)}")
        if _header_key(column) not in keys:
            raise InputError(
                f"--columns {name}={column}: the list has no column {column!r}; its columns are "
                + ", ".join(repr(h) for h in header if str(h).strip())
            )
        found[name] = keys[_header_key(column)]
    used = set(found.values())
    for name, aliases in FIELDS.items():
        if name in found:
            continue
        for alias in aliases:
            header_name = keys.get(_header_key(alias))
            if header_name is not None and header_name not in used:
                found[name] = header_name
                used.add(header_name)
                break
    return found


def parse_code(text: str) -> tuple[int | None, int | None]:
    """A code as lists write it → ``(base code point, selector code point or None)``.

    >>> parse_code("U+2A700")
    (173824, None)
    >>> [hex(x) for x in parse_code("U+845B U+E0100")]
    ['0x845b', '0xe0100']
    >>> parse_code("<U+845B,U+E0101>")[1] == 0xE0101, parse_code("葛\U000E0101")[1] == 0xE0101
    (True, True)
    >>> parse_code("")
    (None, None)
    """
    t = text.strip()
    if not t:
        return None, None
    codes = _CODE_RE.findall(t)
    if codes and re.fullmatch(r"[<\s]*(?:(?:[Uu]\+|0[xX])?[0-9A-Fa-f]{4,6}[\s,_;>]*){1,2}", t):
        values = [int(c, 16) for c in codes]
    else:
        values = [ord(c) for c in t if not c.isspace()]
    if not values or len(values) > 2 or any(v > 0x10FFFF for v in values):
        raise ValueError(f"{text!r} is not a code point (U+XXXX), a code point with an IVS, or one character")
    if len(values) == 2 and values[1] not in VS_RANGE:
        raise ValueError(f"{text!r}: the second code is not a variation selector (U+E0100–U+E01EF)")
    return values[0], values[1] if len(values) == 2 else None


def _int(text: str) -> int | None:
    t = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not t:
        return None
    return int(t)


def _read_cells(path: Path, *, sheet: str | None, encoding: str | None) -> tuple[list[list[str]], str]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            import openpyxl
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise InputError("reading .xlsx needs openpyxl (pip install openpyxl), or save the list as CSV") from exc
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise InputError(f"{path}: not a readable .xlsx workbook ({exc}); re-save it or export it as CSV") from exc
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise InputError(f"{path}: no sheet {sheet!r}; its sheets are {', '.join(book.sheetnames)}")
            ws = book[sheet] if sheet else book.worksheets[0]
            cells = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            book.close()
        return cells, "xlsx"
    from gaiji.extract.ledger import decode_ledger  # the one reader of UTF-8 / CP932 / UTF-16 text

    text, used = decode_ledger(path.read_bytes(), path, encoding)
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)], used


def read_set_table(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> SetTable:
    """Read a set's list; raises :class:`InputError` naming the file on a problem that stops
    the whole list (unreadable, no header, no id column). Problems of single values are kept
    on the row (:attr:`TableRow.problems`) for the row-by-row report."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such list file; give the set's character list (.csv or .xlsx) with --table")
    cells, used = _read_cells(p, sheet=sheet, encoding=encoding)
    while cells and not any(c.strip() for c in cells[0]):
        cells.pop(0)
    if not cells:
        raise InputError(f"{p}: the list is empty; it needs a header row and one row per character")
    header = [c.strip().lstrip("\ufeff") for c in cells[0]]
    mapping = map_columns(header, columns)
    if "id" not in mapping:
        raise InputError(
            f"{p}: no identifier column (looked for {', '.join(FIELDS['id'])}); its columns are "
            + ", ".join(repr(h) for h in header if h)
            + ". Name it with --columns id=<column>"
        )
    if not ({"code", "char", "glyph"} & set(mapping)):
        raise InputError(
            f"{p}: no code, character or glyph-name column, so no glyph can be found for any row "
            "(looked for UCS / コード / 文字 / グリフ名 …); name one with --columns code=<column>"
        )
    pos = {name: header.index(col) for name, col in mapping.items()}
    table = SetTable(path=p, columns=mapping, encoding=used)
    for number, cells_row in enumerate(cells[1:], start=2):
        if not any(c.strip() for c in cells_row):
            continue
        def get(name: str, cells_row: list[str] = cells_row) -> str:
            at = pos.get(name)
            return cells_row[at].strip() if at is not None and at < len(cells_row) else ""

        problems: list[str] = []
        base = selector = None
        code_text = get("code") or get("char")
        try:
            base, selector = parse_code(code_text)
            if get("ivs"):
                sel, _ = parse_code(get("ivs"))
                if sel is None or sel not in VS_RANGE:
                    raise ValueError(f"IVS {get('ivs')!r} is not a variation selector U+E0100–U+E01EF")
                selector = sel
        except ValueError as exc:
            problems.append(str(exc))
        numbers: dict[str, int | None] = {}
        for name in ("radical", "inner_strokes", "strokes"):
            try:
                numbers[name] = _int(get(name))
            except ValueError:
                numbers[name] = None
                problems.append(f"{name} {get(name)!r} is not a number")
        if numbers["radical"] is not None and not 1 <= numbers["radical"] <= 214:
            problems.append(f"radical {numbers['radical']} is outside 1–214")
            numbers["radical"] = None
        related_mj = get("related_mj")
        if related_mj:
            if is_mj(related_mj):
                related_mj = format_mj(related_mj)
            else:
                problems.append(f"related MJ {related_mj!r} is not an MJ文字図形名 (MJ + 6 digits)")
                related_mj = ""
        table.rows.append(
            TableRow(
                line=number, id=get("id"), base=base, selector=selector, glyph=get("glyph"), font=get("font"),
                readings=tuple(r for r in _READING_SPLIT.split(get("readings")) if r),
                radical=numbers["radical"], inner_strokes=numbers["inner_strokes"], strokes=numbers["strokes"],
                related_mj=related_mj, related_ucs=get("related_ucs"), koseki=get("koseki"), juki=get("juki"),
                note=get("note"), problems=tuple(problems),
            )
        )
    return table


def parse_column_overrides(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("id=No", "code=符号")`` → ``{"id": "No", "code": "符号"}`` (also ``id=No,code=符号``).

    >>> parse_column_overrides(["id=No,code=符号"])
    {'id': 'No', 'code': '符号'}
    """
    out: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, eq, column = part.partition("=")
            if not eq or not name.strip() or not column.strip():
                raise InputError(f"--columns {part!r}: write FIELD=COLUMN, e.g. --columns id=字形番号")
            out[name.strip()] = column.strip()
    return out
