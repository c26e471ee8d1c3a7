"""Ledger CSV (外字台帳): reading, usage count and notes per gaiji, joined on id or code.

Encoding: a UTF-8 byte-order mark means UTF-8; otherwise UTF-8 if the bytes decode, else
CP932 (Windows Shift_JIS), else an error suggesting ``--encoding``. Delimiter: comma, tab or
semicolon, sniffed from the header line.

Columns are found by name (case and surrounding spaces ignored); the first header matching
one of these names wins:

======== ===========================================================
field    header names
======== ===========================================================
gaiji_id gaiji_id, id, 外字id, 外字番号, 外字名
code     code, コード, 文字コード, 外字コード, sjis, sjisコード, シフトjis, ucs, unicode, pua
reading  reading, readings, よみ, 読み, よみがな, 読み仮名, ふりがな, フリガナ, カナ
usage    usage_count, usage, 使用件数, 使用数, 件数, 使用回数
note     note, notes, 備考, メモ, 摘要, コメント
radical  radical, 部首, 部首番号, 康煕部首, 康熙部首
strokes  strokes, stroke_count, 画数, 総画数, 字画
======== ===========================================================

Readings are kept as written (the match stage normalises them with
:func:`gaiji.readings.split_readings`); usage counts accept ``1,234`` and full-width digits.
Radical (a 康煕部首 number or the radical itself: ``75``, ``木``, ``氵``) and stroke count
(``12``, ``１２``, ``12画``) are kept as written too; the match stage reads them as hints
(:func:`gaiji.match.matcher.hints_for`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from gaiji.errors import InputError

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "gaiji_id": ("gaiji_id", "id", "外字id", "外字番号", "外字名"),
    "code": (
        "code",
        "コード",
        "文字コード",
        "外字コード",
        "sjis",
        "sjisコード",
        "シフトjis",
        "shift_jis",
        "ucs",
        "unicode",
        "pua",
    ),
    "reading": (
        "reading",
        "readings",
        "よみ",
        "読み",
        "よみがな",
        "読み仮名",
        "ふりがな",
        "フリガナ",
        "カナ",
    ),
    "usage_count": ("usage_count", "usage", "使用件数", "使用数", "件数", "使用回数"),
    "note": ("note", "notes", "備考", "メモ", "摘要", "コメント"),
    "radical": ("radical", "部首", "部首番号", "康煕部首", "康熙部首"),
    "strokes": ("strokes", "stroke_count", "画数", "総画数", "字画"),
}
_SJIS_HEADER = re.compile(r"sjis|shift|シフト", re.IGNORECASE)
_UCS_HEADER = re.compile(r"ucs|unicode|pua|u\+", re.IGNORECASE)
_HEX = re.compile(r"^(?:U\+|0X|&#X)?([0-9A-F]{2,6});?$")


@dataclass
class LedgerRow:
    line: int
    gaiji_id: str
    code: str
    reading: str
    usage_count: str
    note: str
    radical: str = ""
    strokes: str = ""


@dataclass
class Ledger:
    path: Path
    encoding: str
    rows: list[LedgerRow]
    columns: dict[str, str]
    """field → the header it was read from."""
    code_kind: str
    """``sjis`` / ``ucs`` when the code header says so, else ``auto``."""
    warnings: list[str]


def decode_ledger(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used). ``encoding`` forces one (``utf-8``, ``utf-8-sig``, ``cp932``…)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise InputError(
                f"--encoding {encoding!r} is not an encoding Python knows; try cp932 or utf-8"
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: not valid {encoding} (byte {exc.start}); leave out --encoding to detect "
                f"UTF-8 / CP932 / UTF-16, or name the file's real encoding (e.g. --encoding=cp932)"
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: starts with a UTF-8 mark but is not UTF-8 (byte {exc.start}); "
                f"re-save it or pass --encoding"
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: damaged UTF-16 text; re-save it as UTF-8 or CP932") from exc
    for enc in ("utf-8", "cp932"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{path}: the text is neither UTF-8 nor CP932 (Shift_JIS); name its encoding with "
        f"--encoding=… (e.g. --encoding=euc_jp)"
    )


def _header_key(text: str) -> str:
    return re.sub(r"[\s\u3000()（）]", "", text).lower()


def _map_columns(header: list[str]) -> dict[str, int]:
    keys = [_header_key(h) for h in header]
    found: dict[str, int] = {}
    for field, names in COLUMN_NAMES.items():
        for name in names:
            k = _header_key(name)
            if k in keys:
                found[field] = keys.index(k)
                break
    return found


def parse_usage(text: str) -> int | None:
    """``'1,234'`` → 1234, ``'１２'`` → 12, ``''`` → None; raises ValueError otherwise.

    >>> parse_usage('1,234'), parse_usage('１２'), parse_usage(' '), parse_usage('3件')
    (1234, 12, None, 3)
    """
    t = text.strip().replace(",", "").replace("，", "").removesuffix("件").strip()
    if not t:
        return None
    value = int(t)
    if value < 0:
        raise ValueError(text)
    return value


def read_ledger(path: str | Path, *, encoding: str | None = None) -> Ledger:
    """Read a ledger CSV; raises :class:`InputError` naming the file on any problem."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror})") from exc
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{p}: a binary file, not a ledger CSV")
    text, used = decode_ledger(data, p, encoding)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{p}: not a well-formed CSV ({exc})") from exc
    while records and not any(c.strip() for c in records[0]):
        records.pop(0)
    if not records:
        raise InputError(f"{p}: the ledger is empty")
    header = [h.strip().lstrip("\ufeff") for h in records[0]]
    cols = _map_columns(header)
    if "gaiji_id" not in cols and "code" not in cols:
        raise InputError(
            f"{p}: no id or code column among {header!r}; name one column gaiji_id/ID or コード/code "
            f"so the ledger can be joined to the glyphs"
        )
    code_header = header[cols["code"]] if "code" in cols else ""
    code_kind = (
        "sjis"
        if _SJIS_HEADER.search(code_header)
        else "ucs"
        if _UCS_HEADER.search(code_header)
        else "auto"
    )
    rows: list[LedgerRow] = []
    warnings: list[str] = []
    for lineno, rec in enumerate(records[1:], 2):
        if not any(c.strip() for c in rec):
            continue

        def cell(field: str, rec: list[str] = rec) -> str:
            i = cols.get(field)
            return rec[i].strip() if i is not None and i < len(rec) else ""

        usage = cell("usage_count")
        try:
            parsed = parse_usage(usage)
            usage = "" if parsed is None else str(parsed)
        except ValueError:
            warnings.append(f"{p} line {lineno}: usage count {usage!r} is not a number; left empty")
            usage = ""
        row = LedgerRow(
            lineno, cell("gaiji_id"), cell("code"), cell("reading"), usage, cell("note"),
            radical=cell("radical"), strokes=cell("strokes"),
        )
        if not row.gaiji_id and not row.code:
            warnings.append(f"{p} line {lineno}: no id and no code; the row cannot be joined")
        rows.append(row)
    return Ledger(p, used, rows, {f: header[i] for f, i in cols.items()}, code_kind, warnings)


_FULLWIDTH_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # Ｆ０４０ typed in a spreadsheet


def code_number(text: str) -> int | None:
    """A code cell → its number: ``'F040'``, ``'0xF040'``, ``'U+E000'``, ``'&#xE000;'``, also
    in full-width letters and digits (``'Ｆ０４０'``).

    >>> code_number('F040'), code_number('U+E000'), code_number('0x3021'), code_number('辻')
    (61504, 57344, 12321, None)
    >>> code_number('Ｆ０４０'), code_number('Ｕ＋Ｅ０００')
    (61504, 57344)
    """
    m = _HEX.match(text.translate(_FULLWIDTH_ASCII).strip().upper())
    return int(m.group(1), 16) if m else None
