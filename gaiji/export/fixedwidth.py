"""Fixed-width records (固定長): convert field by field and keep every record's byte length.

Many municipal systems hand over resident data as fixed-length records — byte offsets, not
delimiters, say where a field is. Converting such a file as text would move every later field;
here a **layout file** (TOML) names the fields, and each text field is decoded from its own
encoding, its gaiji mapped, written in UTF-8 and padded back to its byte length::

    record_length = 48          # bytes per record, not counting the line end
    line_end = "crlf"           # "crlf", "lf", or "none" (records back to back)
    pad = " "                   # what fills a field up to its length (one ASCII character)
    strip = " \u3000"           # trailing padding removed from input fields first (default: pad + 　)

    [[field]]
    name = "number"
    offset = 0
    length = 8
    encoding = "ascii"          # ascii | cp932 | euc-jp | utf-8 | binary (copied byte for byte)

    [[field]]
    name = "name"
    offset = 8
    length = 30
    encoding = "cp932"

Bytes no field covers are copied as they are. A converted field that no longer fits its bytes
(UTF-8 takes three bytes where CP932 took two) is cut at a character boundary — never inside a
character or between a character and its variation selector — and reported with its full
converted text, so nothing is lost silently; the report uses the columns of ``gaiji convert``
(``line`` is the record number, ``column`` the field's first byte, 1-based).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import tomllib

from gaiji.codes import is_variation_selector, pua_to_sjis
from gaiji.errors import InputError
from gaiji.export.convert import (
    REPORT_COLUMNS,
    UNDEFINED_CP932,
    ConversionTable,
    jis_user_area_to_pua,
)
from gaiji.export.writers import neutralise
from gaiji.fsutil import atomic_write

FIELD_ENCODINGS = ("ascii", "cp932", "euc-jp", "utf-8", "binary")
LINE_ENDS = {"crlf": b"\r\n", "lf": b"\n", "none": b""}


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    length: int
    encoding: str


@dataclass(frozen=True)
class Layout:
    record_length: int
    line_end: bytes
    pad: bytes
    fields: tuple[Field, ...]
    strip: str = " \u3000"
    """Trailing characters that are padding in the input (ASCII and ideographic spaces)."""

    def gaps(self) -> list[tuple[int, int]]:
        """(offset, length) of the bytes no field covers."""
        out, pos = [], 0
        for f in sorted(self.fields, key=lambda f: f.offset):
            if f.offset > pos:
                out.append((pos, f.offset - pos))
            pos = f.offset + f.length
        if pos < self.record_length:
            out.append((pos, self.record_length - pos))
        return out


def read_layout(path: str | Path) -> Layout:
    """Read and check a layout file; every mistake is an :class:`InputError` naming it."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{p}: cannot read the layout ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a TOML layout file ({exc})") from exc

    def whole(value: object, what: str, minimum: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise InputError(f"{p}: {what} must be a whole number ≥ {minimum}, found {value!r}")
        return value

    length = whole(doc.get("record_length"), "record_length", 1)
    line_end = doc.get("line_end", "crlf")
    if line_end not in LINE_ENDS:
        raise InputError(f"{p}: line_end must be one of {', '.join(LINE_ENDS)}, found {line_end!r}")
    pad = doc.get("pad", " ")
    if not (isinstance(pad, str) and len(pad) == 1 and pad.isascii() and pad not in "\r\n"):
        raise InputError(f"{p}: pad must be one ASCII character (not a line end), found {pad!r}")
    raw_fields = doc.get("field")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise InputError(f"{p}: no [[field]] tables; name at least one field (name, offset, length, encoding)")
    fields: list[Field] = []
    for n, f in enumerate(raw_fields, 1):
        if not isinstance(f, dict):
            raise InputError(f"{p}: field {n} is not a table")
        name = f.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(f"{p}: field {n} has no name")
        offset = whole(f.get("offset"), f"field {name!r} offset", 0)
        flen = whole(f.get("length"), f"field {name!r} length", 1)
        enc = f.get("encoding", "cp932")
        if enc not in FIELD_ENCODINGS:
            raise InputError(f"{p}: field {name!r} encoding must be one of {', '.join(FIELD_ENCODINGS)}, found {enc!r}")
        if offset + flen > length:
            raise InputError(f"{p}: field {name!r} (offset {offset}, length {flen}) ends after the record "
                             f"(record_length {length})")
        fields.append(Field(name, offset, flen, enc))
    ordered = sorted(fields, key=lambda f: f.offset)
    for a, b in itertools.pairwise(ordered):
        if b.offset < a.offset + a.length:
            raise InputError(f"{p}: fields {a.name!r} and {b.name!r} overlap (bytes {b.offset}–{a.offset + a.length - 1})")
    if len({f.name for f in fields}) != len(fields):
        raise InputError(f"{p}: two fields have the same name")
    strip = doc.get("strip", pad + "\u3000")
    if not isinstance(strip, str):
        raise InputError(f"{p}: strip must be a string of padding characters, found {strip!r}")
    return Layout(length, LINE_ENDS[line_end], pad.encode("ascii"), tuple(fields), strip)


@dataclass
class FixedStats:
    input: Path
    output: Path
    records: int = 0
    converted: int = 0
    unmapped: int = 0
    overflows: int = 0
    bad: int = 0
    rows: list[tuple[object, ...]] = field(default_factory=list)


def _records(src: IO[bytes], layout: Layout, name: str) -> Iterator[tuple[int, bytes]]:
    """Records read by length (a byte 0x0A inside a binary field is no line end); each must end
    with the layout's line end, except that the last may lack it."""
    n = 0
    end = layout.line_end
    size = layout.record_length + len(end)
    while block := src.read(size):
        n += 1
        record, tail = block[: layout.record_length], block[layout.record_length:]
        if len(record) != layout.record_length:
            raise InputError(f"{name}: record {n} is {len(record)} bytes, the layout says {layout.record_length}; "
                             f"the file is cut short, or record_length / line_end in the layout are wrong")
        if tail != end and not (tail == b"" and not src.read(1)):
            raise InputError(f"{name}: record {n} does not end with the layout's line end "
                             f"({end!r}) after {layout.record_length} bytes; check record_length and line_end")
        yield n, record


def _gaiji_code(cp: int, encoding: str) -> str:
    if encoding == "cp932" and 0xE000 <= cp <= 0xE757:
        return f"{pua_to_sjis(cp):04X}"
    if encoding == "euc-jp" and 0xE000 <= cp <= 0xE3AB:
        index = cp - 0xE000
        return f"{((0x75 + index // 94) << 8 | (0x21 + index % 94)) | 0x8080:04X}"
    return f"U+{cp:04X}"


def _decode_field(raw: bytes, encoding: str) -> tuple[str, str]:
    """(text, '') or (text with U+FFFD, description of the bad bytes)."""
    if encoding == "euc-jp":
        import codecs

        from gaiji.export.convert import _EUC_UDA_MARK, _euc_user_area

        codecs.register_error(_EUC_UDA_MARK, _euc_user_area)
        text = raw.decode("euc_jp", _EUC_UDA_MARK)
    else:
        text = raw.decode(encoding, "surrogateescape")
    bad = [ord(c) - 0xDC00 for c in text if 0xDC80 <= ord(c) <= 0xDCFF]
    if not bad:
        return text, ""
    fixed = "".join("\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text)
    return fixed, " ".join(f"{b:02X}" for b in bad)


def _fit(text: str, limit: int) -> str:
    """The longest prefix of *text* whose UTF-8 fits *limit* bytes, never separating a
    character from the variation selector after it."""
    used, cut = 0, 0
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and is_variation_selector(text[j]):
            j += 1
        size = len(text[i:j].encode("utf-8", "surrogatepass"))
        if used + size > limit:
            break
        used += size
        i = cut = j
    return text[:cut]


def convert_record(record: bytes, number: int, layout: Layout, table: ConversionTable, name: str,
                   stats: FixedStats, *, errors: str) -> bytes:
    """One record converted field by field, padded back to ``record_length`` bytes."""
    out = bytearray(record)
    targets = {cp: t for cp, t in table.targets.items()}
    for f in layout.fields:
        if f.encoding == "binary":
            continue
        raw = record[f.offset: f.offset + f.length]
        text, bad = _decode_field(raw, f.encoding)
        text = text.rstrip(layout.strip)  # the old padding; the field is padded again below
        where = (name, number, f.offset + 1)
        if bad:
            if errors == "strict":
                raise InputError(f"{name}: record {number}, field {f.name!r} (byte {f.offset + 1}): bytes {bad} "
                                 f"are not valid {f.encoding.upper()}; pass --errors report to convert the rest. "
                                 "Nothing was written for this file")
            stats.bad += 1
            stats.rows.append((*where, f"bytes {bad}", "", f"field {f.name}: not valid {f.encoding.upper()}; written as U+FFFD"))
        pieces = []
        for ch in text:
            cp = ord(ch)
            gaiji = (0xE000 <= cp <= 0xF8FF or cp >= 0xF0000) or (f.encoding == "cp932" and cp in UNDEFINED_CP932)
            if not gaiji:
                pieces.append(ch)
                continue
            target = targets.get(cp)
            if target is not None and not (f.encoding == "cp932" and cp in UNDEFINED_CP932):
                stats.converted += 1
                pieces.append(target)
            else:
                stats.unmapped += 1
                reason = table.unusable.get(cp) or "not in the mapping table"
                stats.rows.append((*where, _gaiji_code(cp, f.encoding), f"U+{cp:04X}", f"field {f.name}: {reason}"))
                pieces.append(ch)
        converted = "".join(pieces)
        encoded = converted.encode("utf-8")
        if len(encoded) > f.length:
            kept = _fit(converted, f.length)
            stats.overflows += 1
            detail = (f"field {f.name}: converted text needs {len(encoded)} bytes, the field has {f.length}; "
                      f"cut to {kept!r} — full text: {converted!r}")
            stats.rows.append((*where, "", "", detail))
            encoded = kept.encode("utf-8")
        out[f.offset: f.offset + f.length] = encoded + layout.pad * (f.length - len(encoded))
    return bytes(out)


def convert_fixed_width(
    data: str | Path, layout: Layout, table: ConversionTable, *, output: str | Path,
    report_path: str | Path | None = None, errors: str = "strict",
    progress: Callable[[int, int, str], None] = lambda done, total, what: None,
) -> FixedStats:
    """Convert one fixed-width file into *output* (atomically); every unmapped gaiji, bad byte
    and field that no longer fits goes to the report (default ``OUTPUT.unmapped.csv``, removed
    when empty). Every output record has exactly the input record's byte length."""
    src, out = Path(data), Path(output)
    if src.resolve() == out.resolve():
        raise InputError(f"output {out} is the input itself; write somewhere else")
    report = Path(report_path) if report_path else out.with_name(out.name + ".unmapped.csv")
    stats = FixedStats(src, out)
    total = src.stat().st_size
    with open(src, "rb") as fin, atomic_write(out, "wb") as fout:
        for number, record in _records(fin, layout, str(src)):
            fout.write(convert_record(record, number, layout, table, str(src), stats, errors=errors))
            fout.write(layout.line_end)
            stats.records = number
            if number % 10000 == 0:
                progress(fin.tell(), total, "convert")
    progress(total, total, "convert")
    if stats.rows:
        with atomic_write(report) as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(REPORT_COLUMNS)
            w.writerows((neutralise(str(r[0])), *r[1:5], neutralise(str(r[5]))) for r in stats.rows)
    else:
        report.unlink(missing_ok=True)
    return stats


__all__ = ["Field", "FixedStats", "Layout", "convert_fixed_width", "jis_user_area_to_pua", "read_layout"]
