"""``gaiji convert``: rewrite legacy data into UTF-8 carrying the mapped UCS + IVS.

Input is any text (CSV, TSV, plain): nothing but the gaiji is touched, so delimiters,
quoting and line ends stay as they were.

* **CP932** data carries gaiji as Shift_JIS user-defined-area bytes F040–F9FC. Python's
  ``cp932`` codec decodes those to U+E000–U+E757 by exactly the Windows rule of
  :func:`gaiji.codes.sjis_to_pua` (checked for all 1,880 codes once per process by
  :func:`check_cp932_codec`, and by the tests), so the bulk decoding runs in
  C and the gaiji are then found as code points. The codec also turns the bytes 0x80, 0xA0
  and 0xFD–0xFF — which are no character in CP932 — into U+0080 and U+F8F0–U+F8F3; those are
  reported like unmapped gaiji rather than passed on silently.
* **UTF-8** data carries gaiji as private-use code points (U+E000–U+F8FF, planes 15–16).

Files stream through an incremental decoder in chunks (constant memory; a multi-byte
sequence split across chunks is joined by the decoder). Every gaiji occurrence without a
usable mapping is reported with file, line, column (1-based, in characters) and code; it
stays in the output as its private-use code point — never dropped, never replaced by ``?``.
Outputs are written atomically.

A row identified in an added reference set (``ref_set``) converts to that set's code point —
a UCS character (e.g. CJK Ext C–F) or, when the set gives its characters private-use codes,
that private-use code point, which the set's font (``ref_font``) draws.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import is_
from pathlib import Path
from typing import IO, Any, cast

from gaiji.codes import PUA_FIRST, UDA_PUA_LAST, is_pua, pua_to_sjis, sjis_to_pua
from gaiji.codes import char as code_char
from gaiji.errors import ContractError, InputError
from gaiji.export.columns import is_added_set
from gaiji.export.convert_report import REPORT_COLUMNS, Occurrence, ReportText
from gaiji.export.cp932_iconv import cp932_to_utf8
from gaiji.export.readers import read_mapping
from gaiji.export.validate import cross_row_problems, full_char, schema_problems
from gaiji.export.writers import neutralise
from gaiji.fsutil import atomic_write
from gaiji.gc_pause import gc_paused
from gaiji.progress import Progress, no_progress

CHUNK_SIZE = 1 << 20
PARALLEL_CHUNK = 1 << 21
"""Bytes per piece a worker process converts (ended after a newline)."""
PARALLEL_MIN_BYTES = 1 << 24
"""Files shorter than this convert in one process (starting workers is not worth it)."""
ICONV_MIN_BYTES = 1 << 18
"""CP932 chunks at least this long go through :mod:`gaiji.export.cp932_iconv` (one C pass; the
one-off check that it agrees with Python's codec is not worth it for small data)."""
ENCODINGS = ("auto", "cp932", "utf-8", "euc-jp")
UNDEFINED_CP932 = {0x80: 0x80, 0xF8F0: 0xA0, 0xF8F1: 0xFD, 0xF8F2: 0xFE, 0xF8F3: 0xFF}
"""Code points Python's cp932 codec gives to single bytes that CP932 does not define."""

_SURROGATE = rb"|\xed[\xb0-\xb3][\x80-\xbf]"  # U+DC00–U+DCFF: bad bytes, marked while decoding
_UTF8_GAIJI = {  # the UTF-8 form of what convert looks for in each input encoding
    "cp932": re.compile(  # U+E000–U+E757, U+0080, U+F8F0–U+F8F3
        rb"(\xee[\x80-\x9c][\x80-\xbf]|\xee\x9d[\x80-\x97]|\xc2\x80|\xef\xa3[\xb0-\xb3]" + _SURROGATE + rb")"),
    "euc_jp": re.compile(  # U+E000–U+E3AB
        rb"(\xee[\x80-\x8d][\x80-\xbf]|\xee\x8e[\x80-\xab]" + _SURROGATE + rb")"),
    "utf-8": re.compile(  # U+E000–U+F8FF, planes 15 and 16
        rb"(\xee[\x80-\xbf][\x80-\xbf]|\xef[\x80-\xa3][\x80-\xbf]"
        rb"|\xf3[\xb0-\xbf][\x80-\xbf][\x80-\xbf]|\xf4[\x80-\x8f][\x80-\xbf][\x80-\xbf]" + _SURROGATE + rb")"),
}
_UTF8_GAIJI_FAST = {  # the common case, with a literal first byte so the regex engine skips ahead
    "cp932": (re.compile(rb"(\xee(?:[\x80-\x9c][\x80-\xbf]|\x9d[\x80-\x97]))"), "\x80\uf8f0\uf8f1\uf8f2\uf8f3"),
    "euc_jp": (re.compile(rb"(\xee(?:[\x80-\x8d][\x80-\xbf]|\x8e[\x80-\xab]))"), ""),
}
"""Encoding → (pattern for U+E000… only, characters whose presence needs the full pattern)."""


@dataclass
class ConversionTable:
    """Private-use code point → replacement text, plus why some codes cannot be used."""

    targets: dict[int, str] = field(default_factory=dict)
    unusable: dict[int, str] = field(default_factory=dict)
    not_addressable: list[str] = field(default_factory=list)  # codes no CP932/UTF-8 data can carry
    fallback: bool = False

    def __len__(self) -> int:
        return len(self.targets)


BITMAP_FONT_SUFFIXES = (".bdf", ".pcf", ".bdf.gz", ".pcf.gz")


def code_to_pua(code: str, *, jis: bool = False) -> int | None:
    """The private-use code point a mapping ``code`` stands for, or ``None``.

    ``U+E000`` is the code point itself; a bare 4-digit hex code (``F040``, ``0xF040``) in the
    Shift_JIS user-defined area F040–F9FC is converted by the Windows rule. With *jis* (the
    codes of a bitmap font on JIS X 0208, as ``gaiji extract`` writes them: ``0x7521``) the
    user-defined rows 85–94 are converted by :func:`jis_user_area_to_pua` — the same code
    points CP932 data carries as F040… and EUC-JP data as F5A1….

    >>> code_to_pua('U+E001'), code_to_pua('F040'), code_to_pua('0xF9FC'), code_to_pua('7521')
    (57345, 57344, 59223, None)
    >>> code_to_pua('0x7521', jis=True), code_to_pua('0x3021', jis=True)
    (57344, None)
    """
    if jis:
        jis_hex = code.strip().upper().removeprefix("0X")
        if len(jis_hex) == 4:
            try:
                return jis_user_area_to_pua(int(jis_hex, 16))
            except ValueError:
                pass
    text = code.strip()
    upper = text.upper()
    if upper.startswith("U+"):
        try:
            return ord(code_char(upper))
        except ValueError:
            return None
    upper = upper.removeprefix("0X")
    if len(upper) == 4:
        try:
            value = int(upper, 16)
        except ValueError:
            return None
        try:
            return sjis_to_pua(value)
        except ValueError:
            return None
    return None


def load_conversion_table(
    mapping: str | Path, *, source: str | None = None, fallback: bool = False, encoding: str = "auto"
) -> ConversionTable:
    """Read a mapping table (any format) into a :class:`ConversionTable`.

    The table must pass the schema and cross-row checks of ``gaiji validate`` (it is not checked
    against the MJ reference here; run ``gaiji validate`` for that). Only ``final`` rows convert;
    with *fallback* every row converts to its ``fallback_char``, otherwise to ``char`` (or to
    ``fallback_char`` where ``use_fallback`` is 1). *source* keeps only the rows of that source.
    """
    table = read_mapping(mapping, encoding=encoding, profile="auto")
    problems = [p for p in table.problems if p.severity == "error"]
    if not problems:
        problems += schema_problems(table.rows)
        problems += [p for p in cross_row_problems(table.rows) if p.severity == "error"]
    if problems:
        listed = "; ".join(f"{p.where}: {p.message}" for p in problems[:10])
        listed = listed.replace("pass --encoding ", "pass --mapping-encoding ")  # convert's name for it
        raise ContractError(
            f"{mapping} is not a usable mapping table: {listed}"
            + (f" and {len(problems) - 10} more" if len(problems) > 10 else "")
            + f". Run `gaiji validate {mapping}` for the full list"
        )
    rows = table.rows
    jis = False
    if source is not None:
        source = Path(source).name  # `--source fonts/vendor16.bdf` names the source vendor16.bdf
        jis = source.lower().endswith(BITMAP_FONT_SUFFIXES)
        rows = [r for r in rows if r.values.get("source") == source]
        if not rows:
            sources = sorted({str(r.values.get("source")) for r in table.rows})
            raise ContractError(f"no rows of source {source!r} in {mapping}; it has: {', '.join(sources)}")
    out = ConversionTable(fallback=fallback)
    seen: dict[int, tuple[str, str, str, str]] = {}  # cp → (text, reason, source, row label)
    for row in rows:
        v = row.values
        code = str(v.get("code", ""))
        cp = code_to_pua(code, jis=jis)
        if cp is None:
            out.not_addressable.append(code)
            continue
        text, reason = _row_target(v, fallback=fallback)
        # an added reference set may give its characters private-use codes (its font draws them):
        # such a row may write one; any other row's private-use target would identify nothing
        set_code = is_added_set(str(v.get("ref_set", ""))) and not (fallback or v.get("use_fallback") == "1")
        unsafe = [c for c in text if ord(c) < 0x80 or unicodedata.category(c) in ("Cc", "Zl", "Zp")
                  or (is_pua(ord(c)) and not set_code)]
        if unsafe:
            raise ContractError(
                f"{mapping} {row.label}: target {text!r} contains {', '.join(f'U+{ord(c):04X}' for c in unsafe)}, "
                "which would change the structure of the data (delimiters, quotes, line breaks) or is "
                "itself private use (only a row pointing at an added reference set may write one); "
                "run `gaiji validate` and correct the table"
            )
        source = str(v.get("source", ""))
        previous = seen.get(cp)
        if previous is not None and previous[0] != text:
            def said(t: str, r: str) -> str:
                return repr(t) if t else f"nothing usable ({r})"
            raise ContractError(
                f"code {code} means {said(previous[0], previous[1])} in {previous[3]} (source "
                f"{previous[2]!r}) but {said(text, reason)} in {row.label} (source {source!r}) of "
                f"{mapping}; choose one source with --source"
            )
        seen.setdefault(cp, (text, reason, source, row.label))
        if text:
            out.targets[cp] = text
        else:
            out.unusable.setdefault(cp, reason)
    return out


def _row_target(v: dict[str, Any], *, fallback: bool) -> tuple[str, str]:
    """(replacement text, '') for a usable row, else ('', why not)."""
    gid = v.get("gaiji_id")
    status = v.get("status", "")
    if status != "final":
        return "", f"mapping row {gid} is {status}, not final"
    if fallback:
        text = str(v.get("fallback_char", ""))
        return (text, "") if text else ("", f"mapping row {gid} has no fallback_char")
    use_fb = v.get("use_fallback") == "1"
    text = str(v.get("fallback_char", "")) if use_fb else full_char(v)
    if text:
        return text, ""
    return "", f"mapping row {gid} is {v.get('identification_class') or 'unidentified'}: no character"


@dataclass
class FileStats:
    input: Path
    output: Path
    encoding: str
    bytes_in: int = 0
    bytes_out: int = 0
    lines: int = 0
    converted: int = 0
    unmapped: int = 0
    bad_bytes: int = 0
    error: str = ""
    """Why the file was not converted (nothing was written under its name); empty when it was."""
    workers: int = 1
    """Processes that converted it (more than one only for a large file)."""
    shared_cores: bool = False
    """The cores were busy with other work, so this process converted the file (or its rest) alone."""


@dataclass
class ConvertResult:
    files: list[FileStats]
    report_path: Path | None
    unmapped: int
    unmapped_by_code: Counter
    first_unmapped: list[Occurrence]
    not_addressable: list[str]

    @property
    def converted(self) -> int:
        return sum(f.converted for f in self.files)

    @property
    def bad_bytes(self) -> int:
        return sum(f.bad_bytes for f in self.files)

    @property
    def failed(self) -> list[FileStats]:
        return [f for f in self.files if f.error]


@functools.cache
def check_cp932_codec() -> None:
    """Make sure this Python's cp932 codec decodes the user-defined area by the Windows rule
    (:func:`gaiji.codes.sjis_to_pua`), which convert relies on; checked once per process."""
    uda = bytes(b for code in range(0xF040, 0xF9FD) if 0x40 <= code & 0xFF <= 0xFC and code & 0xFF != 0x7F
                for b in (code >> 8, code & 0xFF))
    got = uda.decode("cp932")
    want = "".join(chr(sjis_to_pua((uda[i] << 8) | uda[i + 1])) for i in range(0, len(uda), 2))
    if got != want:  # pragma: no cover - would mean a different codec table
        raise RuntimeError("this Python's cp932 codec does not map Shift_JIS F040–F9FC to U+E000–U+E757; "
                           "gaiji convert cannot trust it")


GaijiReport = Callable[[str, list[int], list[int], list[tuple[str, ...]]], None]
"""Receives unmapped gaiji as columns: (file, lines, columns, [(code, unicode, reason), …])."""

ERRORS = ("strict", "report")
BAD_BYTES = ("replace", "keep")
_BAD_BYTE_MARK = "gaiji-mark-bad-bytes"
_BAD_BYTE_CALLS = [0]  # how often bad bytes were marked: a chunk without any takes the fast path
_EUC_UDA_MARK = "gaiji-euc-jp-user-area"


def _mark_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: each invalid byte ≥ 0x80 becomes a lone surrogate U+DC80–U+DCFF
    (which valid text never decodes to), so the converter can find it, report its line and
    column, and write it as the user chose. ASCII bytes caught in the range are kept."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start: exc.end]
    _BAD_BYTE_CALLS[0] += 1
    return "".join(chr(0xDC00 + b) if b >= 0x80 else chr(b) for b in bad), exc.end


def _euc_user_area(exc: UnicodeError) -> tuple[str, int]:
    """EUC-JP decode error handler: the user-defined rows 85–94 (bytes F5A1–FEFE) become
    U+E000–U+E3AB (the eucJP-ms / CP51932 rule, the same code points CP932 gives F040–F9FC);
    anything else invalid is marked like :func:`_mark_bad_bytes`."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, i = exc.object, exc.start
    if i + 1 < len(data) and 0xF5 <= data[i] <= 0xFE and 0xA1 <= data[i + 1] <= 0xFE:
        return chr(jis_user_area_to_pua(((data[i] & 0x7F) << 8) | (data[i + 1] & 0x7F))), i + 2
    return _mark_bad_bytes(exc)


codecs.register_error(_BAD_BYTE_MARK, _mark_bad_bytes)


def jis_user_area_to_pua(code: int) -> int:
    """JIS X 0208 user-defined rows 85–94 (``0x7521``–``0x7E7E``) → U+E000–U+E3AB: row by row,
    94 cells each, as eucJP-ms and CP932 (F040–F9FC) both place them.

    >>> hex(jis_user_area_to_pua(0x7521)), hex(jis_user_area_to_pua(0x7621)), hex(jis_user_area_to_pua(0x7E7E))
    ('0xe000', '0xe05e', '0xe3ab')
    """
    row, cell = (code >> 8) - 0x20, (code & 0xFF) - 0x20
    if not (85 <= row <= 94 and 1 <= cell <= 94):
        raise ValueError(f"0x{code:04X} is not in the JIS X 0208 user-defined rows 85–94 (0x7521–0x7E7E)")
    return PUA_FIRST + (row - 85) * 94 + (cell - 1)


# ---------------------------------------------------------------- detecting the encoding

BLOCK_BYTES = 1 << 17
"""Converted text is processed in blocks of about this many UTF-8 bytes (memory stays flat)."""

SNIFF_BYTES = 1 << 16
"""Auto-detection waits for this many bytes (or the end of the file) before it refuses."""

MIN_UTF8_EVIDENCE = 4
"""Characters of three or more UTF-8 bytes in Japanese ranges needed to call data UTF-8 when
it is also valid CP932. Half-width katakana pairs in CP932 (ﾐｽ = DD BD) are valid two-byte
UTF-8 (н), so two-byte characters are never evidence."""


def _japanese(cp: int) -> bool:
    return (0x3000 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0xFF00 <= cp <= 0xFFEF
            or 0xE000 <= cp <= 0xF8FF or 0x20000 <= cp <= 0x3134F or 0xE0100 <= cp <= 0xE01EF
            or 0xF0000 <= cp <= 0x10FFFD or 0x2000 <= cp <= 0x2BFF)


def _decodes(data: bytes, encoding: str, final: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final)
    except UnicodeDecodeError:
        return None


_NOT_IN_EUC_JP = re.compile(rb"[\x80-\x8d\x90-\xa0]")  # bytes EUC-JP never uses (8E/8F are its shifts)


def _sniff_is_euc_jp(chunk: bytes, final: bool) -> bool:
    """True for text that is EUC-JP rather than CP932: no byte 80–A0 (CP932 writes every
    hiragana and JIS level-1 kanji with a lead byte 81–9F), some byte E0–FE (so not just
    half-width katakana) and it decodes as EUC-JP."""
    if _NOT_IN_EUC_JP.search(chunk) or max(chunk, default=0) < 0xE0:
        return False
    return _decodes(chunk, "euc_jp", final) is not None


def detect_encoding(sample: bytes, final: bool, name: str = "<data>") -> str:
    """``'utf-8'`` or ``'cp932'`` for *sample* (the first bytes that are not all ASCII), or an
    :class:`InputError` asking for ``--encoding`` — it never guesses.

    UTF-8 is chosen when the sample is valid UTF-8 and not valid CP932, or valid in both and
    read as UTF-8 it holds at least :data:`MIN_UTF8_EVIDENCE` Japanese characters of three or
    more bytes and nothing else outside ASCII worth a tenth of them. CP932 is chosen when it is
    valid CP932 and not UTF-8 (EUC-JP is refused). Everything else — short or ambiguous input —
    is refused, showing both readings.

    >>> detect_encoding('山田太郎様方'.encode('utf-8'), True), detect_encoding('山田,ﾀﾛｳ'.encode('cp932'), True)
    ('utf-8', 'cp932')
    """
    as_utf8 = _decodes(sample, "utf-8", final)
    as_cp932 = _decodes(sample, "cp932", final)
    if as_utf8 is not None and as_cp932 is None:
        return "utf-8"
    if as_utf8 is None:
        if _sniff_is_euc_jp(sample, final):
            raise InputError(
                f"{name}: looks like EUC-JP; as CP932 it would turn into other characters, and its gaiji "
                f"bytes into the wrong gaiji. Pass --encoding euc-jp (user-defined rows 85–94 become "
                f"U+E000–U+E3AB), or --encoding cp932 if it really is CP932. Nothing was written for this file"
            )
        return "cp932"
    other = [ord(c) for c in as_utf8 if ord(c) >= 0x80]
    evidence = sum(1 for cp in other if cp >= 0x800 and _japanese(cp))
    against = len(other) - evidence
    if evidence >= MIN_UTF8_EVIDENCE and against * 10 <= evidence:
        return "utf-8"

    def shown(text: str) -> str:
        i = next((k for k, c in enumerate(text) if ord(c) >= 0x80), 0)
        return repr(text[max(0, i - 10): i + 20])

    raise InputError(
        f"{name}: cannot tell the encoding — the data is valid UTF-8 (it would read {shown(as_utf8)}) and "
        f"valid CP932 (it would read {shown(as_cp932 or '')}), and too short or too unlike Japanese UTF-8 "
        f"to decide without guessing. Pass --encoding cp932 or --encoding utf-8. Nothing was written for this file"
    )


# ---------------------------------------------------------------- converting


def _count_newlines(data: bytes) -> int:
    """``data.count(b"\\n")``, vectorised for long data (numpy is about six times as fast there)."""
    if len(data) < 4096:
        return data.count(b"\n")
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A))


class _Converter:
    """Streams one file; keeps line/column position across chunks.

    Speed: the bulk decoding and encoding run in C; mapped gaiji are replaced by one
    ``re.split`` + list comprehension + ``join`` per chunk (no Python call per character); only
    the occurrences that must be reported (unmapped gaiji, bad bytes) are visited one by one.
    """

    def __init__(self, name: str, table: ConversionTable, encoding: str,
                 report: Callable[[Occurrence], None], *, errors: str = "strict",
                 bad_bytes: str = "replace",
                 report_rows: Callable[[list[tuple[Any, ...]]], None] | None = None,
                 report_gaiji: GaijiReport | None = None) -> None:
        if errors not in ERRORS:
            raise InputError(f"unknown --errors {errors!r}: use strict or report")
        if bad_bytes not in BAD_BYTES:
            raise InputError(f"unknown --bad-bytes {bad_bytes!r}: use replace or keep")
        self.name = name
        self.table = table
        self.requested = encoding
        self.encoding = "" if encoding == "auto" else encoding
        self.errors = errors
        self.bad_bytes = bad_bytes
        self.decoder: Any = None
        def one_by_one(rows: list[tuple[Any, ...]]) -> None:
            for r in rows:
                report(Occurrence(*r))

        self.report_rows = report_rows or one_by_one
        self.report_gaiji: GaijiReport = report_gaiji or self._gaiji_as_rows
        self.report_text: ReportText | None = None  # where report_rows/report_gaiji write, if a ReportText
        self.token_info: dict[bytes, tuple[str, ...]] = {}
        self.line = 1  # line of the start of the current text
        self.column_carry = 0  # characters since the last newline, before the current text
        self.converted = 0
        self.unmapped = 0
        self.bad = 0
        self.pending = b""  # undecided (auto) bytes held back until the encoding is known
        self.clean = True  # the decoder holds no part of a character (all fed so far ended one)

    def _set_encoding(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding == "euc_jp":
            handler = _EUC_UDA_MARK
            codecs.register_error(handler, _euc_user_area)
        else:
            handler = _BAD_BYTE_MARK
        self.decoder = codecs.getincrementaldecoder(encoding)(handler)
        cp932 = encoding == "cp932"
        targets = {chr(cp): t for cp, t in self.table.targets.items()
                   if not (cp932 and cp in UNDEFINED_CP932)}
        self.targets = targets
        # gaiji are found and replaced in the UTF-8 bytes (self-synchronising, so a byte pattern
        # cannot match inside another character); bad bytes arrive as surrogates (surrogatepass)
        self.split = _UTF8_GAIJI[encoding if encoding in _UTF8_GAIJI else "utf-8"].split
        fast = _UTF8_GAIJI_FAST.get(encoding)
        self.fast_split: Callable[[bytes], list[bytes]] | None = fast[0].split if fast else None
        self.rare = fast[1] if fast else ""
        self.byte_targets = {k.encode("utf-8"): v.encode("utf-8") for k, v in targets.items()}
        replace = self.bad_bytes == "replace"
        self.bad_text = {chr(0xDC00 + b).encode("utf-8", "surrogatepass"): "\ufffd".encode("utf-8") if replace
                         else bytes([b]) for b in range(0x80, 0x100)}

    def feed(self, chunk: bytes, final: bool) -> bytes:
        """The UTF-8 output for the next *chunk* of input."""
        return b"".join(self.feed_blocks(chunk, final))

    def feed_blocks(self, chunk: bytes, final: bool, end: int | None = None) -> list[bytes]:
        """:meth:`feed` of ``chunk[:end]``, as the blocks the output is made of (to write them
        without joining them; *end* spares copying the part of *chunk* to feed)."""
        if end is not None and end < len(chunk) and not (
                self.decoder is not None and self.encoding == "cp932" and self.clean and end >= ICONV_MIN_BYTES):
            chunk = chunk[:end]  # only the iconv path reads a part of the chunk in place
        end = len(chunk) if end is None else min(end, len(chunk))
        if self.decoder is None:
            if self.encoding:
                self._set_encoding(self.encoding)
            else:
                data = self.pending + chunk
                self.pending = b""
                if data.isascii() and not final:
                    # undecided: ASCII means the same in both encodings (and carries no gaiji)
                    self._advance(data.decode("ascii"))
                    return [data]
                try:
                    detected = "utf-8" if data.isascii() else detect_encoding(data, final, self.name)
                except InputError:
                    if final or len(data) >= SNIFF_BYTES:
                        raise
                    self.pending = data  # not enough to decide yet: wait for more
                    return []
                chunk, end = data, len(data)
                self._set_encoding(detected)
        if self.encoding == "cp932" and self.clean and end >= ICONV_MIN_BYTES:
            iconv = cp932_to_utf8()
            if iconv is not None:
                return self._feed_iconv(iconv, chunk, final, end)
        return self._feed_python(chunk[:end] if end < len(chunk) else chunk, final)

    def _feed_python(self, chunk: bytes, final: bool) -> list[bytes]:
        marked = _BAD_BYTE_CALLS[0]
        text = self.decoder.decode(chunk, final)
        self.clean = final or chunk.endswith(b"\n")  # b"\n" is never part of a character
        return self._convert(text, bad_bytes_marked=_BAD_BYTE_CALLS[0] != marked)

    def _feed_iconv(self, iconv: Callable[[bytes, int, int], bytes | None], chunk: bytes,
                    final: bool, end: int) -> list[bytes]:
        """CP932 *chunk* block by block (each ending after a newline, so it stays in the CPU's
        cache from decoding to joining): a block iconv takes whole has no bad bytes and no
        rare codes; any other block goes through Python's codec and the careful path."""
        fast_split = self.fast_split
        assert fast_split is not None
        out = []
        start, size = 0, end
        while start < size:
            cut = chunk.find(b"\n", start + BLOCK_BYTES, size) + 1 or size
            data = iconv(chunk, start, cut)
            if data is not None:
                out.append(self._convert_block(data, fast_split))
            else:
                out += self._feed_python(chunk[start:cut], final and cut == size)
            start = cut
        return out

    def reset_decoder(self) -> None:
        """Start decoding afresh (after a piece that stopped part-way)."""
        self._set_encoding(self.encoding)
        self.clean = True

    def start_chunk(self, line: int = 1) -> None:
        """Count gaiji afresh for a chunk that begins *line* (a worker's chunk)."""
        self.line, self.column_carry = line, 0
        self.converted = self.unmapped = self.bad = 0

    def _advance(self, text: str) -> str:
        newlines = text.count("\n")
        if newlines:
            self.line += newlines
            self.column_carry = len(text) - text.rfind("\n") - 1
        else:
            self.column_carry += len(text)
        return text

    def _decode_error(self, line: int, column: int, bad: str) -> InputError:
        enc = self.encoding.upper().replace("_", "-")
        if self.encoding == "utf-8":
            hint = "if the file is Shift_JIS, pass --encoding cp932"
        else:
            hint = f"the file is damaged there, or not {enc}"
        how = "was detected as" if self.requested == "auto" else "was read as"
        return InputError(
            f"{self.name}: line {line}, column {column}: bytes {bad} are not valid {enc} "
            f"(the file {how} {enc}); {hint}. To convert the rest and list every bad byte in the report, "
            f"pass --errors report. Nothing was written for this file"
        )

    def _convert(self, text: str, *, bad_bytes_marked: bool = True) -> list[bytes]:
        if not text:
            return []
        data = text.encode("utf-8", "surrogatepass")
        if self.fast_split is not None and not bad_bytes_marked and not any(c in text for c in self.rare):
            split = self.fast_split
        else:
            split = self.split
        del text
        return self._convert_utf8(data, split)

    def _convert_utf8(self, data: bytes, split: Callable[[bytes], list[bytes]]) -> list[bytes]:
        """Map the gaiji of *data* (UTF-8, bad bytes as surrogates) block by block."""
        if len(data) <= BLOCK_BYTES:
            return [self._convert_block(data, split)]
        out = []
        start = 0
        while start < len(data):
            # blocks end after a newline (or a full block): UTF-8 never has b"\n" inside a character
            cut = data.find(b"\n", start + BLOCK_BYTES) + 1 or len(data)
            out.append(self._convert_block(data[start:cut], split))
            start = cut
        return out

    def _convert_block(self, data: bytes, split: Callable[[bytes], list[bytes]]) -> bytes:
        parts = split(data)
        if len(parts) == 1:
            self._advance_bytes(data)
            return data
        gaiji = parts[1::2]
        mapped = list(map(self.byte_targets.get, gaiji))
        missing = mapped.count(None)
        self.converted += len(gaiji) - missing
        newlines = None
        if missing:
            missing_at = list(compress(range(len(gaiji)), map(is_, mapped, repeat(None))))
            bad_text = self.bad_text
            if split is not self.fast_split and any(gaiji[k] in bad_text for k in missing_at):
                self._report(data, parts, mapped)  # bad bytes: runs merged, strict raises
                for k in missing_at:
                    g = gaiji[k]
                    mapped[k] = bad_text.get(g, g)
            else:  # the fast pattern finds no bad bytes: every token left is an unmapped gaiji
                newlines = self._report_unmapped(data, parts, missing_at, fast=split is self.fast_split)
                for k in missing_at:
                    mapped[k] = gaiji[k]
        parts[1::2] = mapped  # type: ignore[assignment]  # every None was filled above
        self._advance_bytes(data, newlines)
        return b"".join(parts)

    def _advance_bytes(self, data: bytes, newline_offsets: Any = None) -> None:
        """Move past *data*; *newline_offsets*, if given, are those of its newlines (numpy)."""
        newlines = _count_newlines(data) if newline_offsets is None else len(newline_offsets)
        last = data.rfind(b"\n")
        if newlines:
            self.line += newlines
            self.column_carry = len(data[last + 1:].decode("utf-8", "surrogatepass"))
        else:
            self.column_carry += len(data.decode("utf-8", "surrogatepass"))

    def _report(self, data: bytes, parts: list[bytes], mapped: list[bytes | None]) -> None:
        """Report every unmapped gaiji and bad byte run of this chunk (UTF-8 *data*, split into
        *parts*; ``mapped[k]`` is None for the k-th token that has no target) with its line and
        column (1-based, in characters). Rows go to the report in one batch per chunk."""
        info_of = self.token_info
        rows: list[tuple[Any, ...]] = []
        name = self.name
        line, last_off, line_start = self.line, 0, -1  # line_start: offset after the last newline seen
        run: list[tuple[int, int, int, bytes]] = []  # (offset, line, column, token) of adjacent bad bytes
        off = 0
        for k, target in enumerate(mapped):
            off += len(parts[2 * k])
            token = parts[2 * k + 1]
            if target is not None:
                off += len(token)
                continue
            nl = data.count(b"\n", last_off, off)
            if nl:
                line += nl
                line_start = data.rfind(b"\n", 0, off) + 1
            last_off = off
            if line_start >= 0:
                column = len(data[line_start:off].decode("utf-8", "surrogatepass")) + 1
            else:
                column = self.column_carry + len(data[:off].decode("utf-8", "surrogatepass")) + 1
            info = info_of.get(token)
            if info is None:
                info = info_of[token] = self._token_info(token)
            if not info:  # a bad byte
                if not (run and run[-1][0] + len(run[-1][3]) == off):
                    self._flush_bad(run, rows)
                run.append((off, line, column, token))
            else:
                self._flush_bad(run, rows)
                self.unmapped += 1
                rows.append((name, line, column, *info))
                if len(rows) >= 256:  # bounded batches keep memory flat
                    self.report_rows(rows)
                    rows = []
            off += len(token)
        self._flush_bad(run, rows)
        self.report_rows(rows)

    def _report_unmapped(self, data: bytes, parts: list[bytes], missing_at: list[int], *, fast: bool) -> Any:
        """:meth:`_report` for a block without bad bytes, vectorised: the line of every unmapped
        gaiji (the k-th token of *parts* for k in *missing_at*) from the newline positions
        (numpy), its column from the (short) stretch since its line began, so a file with many
        unmapped gaiji converts nearly as fast as one with none. Returns the newline positions."""
        import numpy as np

        arr = np.frombuffer(data, dtype=np.uint8)
        offsets = newlines = None
        if fast:  # every token of the fast patterns starts with EE: gaiji and newlines in one pass
            marks = np.flatnonzero((arr == 0x0A) | (arr == 0xEE))
            is_newline = arr[marks] == 0x0A
            starts = marks[~is_newline]
            if len(starts) == len(parts) // 2:  # an EE byte always begins a character: these are the tokens
                offsets, newlines = starts[missing_at], marks[is_newline]
        if offsets is None:
            part_starts = list(accumulate(map(len, parts), initial=0))  # part_starts[i] = offset of parts[i]
            offsets = np.array([part_starts[2 * k + 1] for k in missing_at], dtype=np.intp)
        if newlines is None:
            newlines = np.flatnonzero(arr == 0x0A)
        before = np.searchsorted(newlines, offsets)  # newlines before each gaiji
        lines = (before + self.line).tolist()
        offs = offsets.tolist()
        # the column counts characters: decode the (short) stretch since the line began, from the
        # newline before it (one character more: columns count from 1); those still on the line
        # the block began on carry on from the characters before the block
        on_first = int(np.count_nonzero(before == 0))  # offsets are in order: these come first
        columns = [self.column_carry + len(data[:off].decode("utf-8", "surrogatepass")) + 1
                   for off in offs[:on_first]]
        line_ends = newlines[before[on_first:] - 1].tolist()
        columns += map(len, map(bytes.decode, map(data.__getitem__, map(slice, line_ends, offs[on_first:])),
                                repeat("utf-8"), repeat("surrogatepass")))
        info_of = self.token_info
        tokens = [parts[2 * k + 1] for k in missing_at]
        found = list(map(info_of.get, tokens))
        if None in found:
            for j, info in enumerate(found):
                if info is None:
                    found[j] = info_of[tokens[j]] = self._token_info(tokens[j])
        infos = cast("list[tuple[str, ...]]", found)  # every None was filled
        self.unmapped += len(infos)
        self.report_gaiji(self.name, lines, columns, infos)
        return newlines

    def _gaiji_as_rows(self, name: str, lines: list[int], columns: list[int],
                       infos: list[tuple[str, ...]]) -> None:
        """Unmapped gaiji (line, column, (code, unicode, reason) each) as report rows."""
        if not infos:
            return
        codes, unicodes, reasons = zip(*infos)
        rows = list(zip([name] * len(infos), lines, columns, codes, unicodes, reasons))
        for i in range(0, len(rows), 4096):
            self.report_rows(rows[i: i + 4096])

    def _token_info(self, token: bytes) -> tuple[str, ...]:
        """(code, unicode, reason) of an unmapped gaiji token; () for a bad byte."""
        cp = ord(token.decode("utf-8", "surrogatepass"))
        if 0xDC00 <= cp <= 0xDCFF:
            return ()
        is_cp932 = self.encoding == "cp932"
        if is_cp932 and cp in UNDEFINED_CP932:
            return (f"byte {UNDEFINED_CP932[cp]:02X}", f"U+{cp:04X}",
                    "not a character in CP932 (is the file really Shift_JIS?)")
        if is_cp932 and PUA_FIRST <= cp <= UDA_PUA_LAST:
            code = f"{pua_to_sjis(cp):04X}"
        elif self.encoding == "euc_jp":
            index = cp - PUA_FIRST
            code = f"{((0x75 + index // 94) << 8 | (0x21 + index % 94)) | 0x8080:04X}"
        else:
            code = f"U+{cp:04X}"
        return code, f"U+{cp:04X}", self.table.unusable.get(cp) or "not in the mapping table"

    def _flush_bad(self, run: list[tuple[int, int, int, bytes]], rows: list[tuple[Any, ...]]) -> None:
        if not run:
            return
        _, line, column, _ = run[0]
        raw = " ".join(f"{ord(t.decode('utf-8', 'surrogatepass')) - 0xDC00:02X}" for *_, t in run)
        run.clear()
        if self.errors == "strict":
            self.report_rows(rows)  # what came before still counts
            raise self._decode_error(line, column, raw)
        enc = self.encoding.upper().replace("_", "-")
        kept = "kept as they are" if self.bad_bytes == "keep" else "written as U+FFFD"
        self.bad += 1
        rows.append((self.name, line, column, f"bytes {raw}", "", f"not valid {enc}; {kept} (--errors report)"))


def convert_stream(
    src: IO[bytes], dst: IO[bytes], table: ConversionTable, *, name: str = "<stream>",
    encoding: str = "auto", chunk_size: int = CHUNK_SIZE, bom: bool = False,
    report: Callable[[Occurrence], None] = lambda o: None,
    progress: Callable[[int], None] = lambda n: None,
    errors: str = "strict", bad_bytes: str = "replace",
    report_rows: Callable[[list[tuple[Any, ...]]], None] | None = None,
    report_gaiji: GaijiReport | None = None,
    report_text: ReportText | None = None,
    workers: int = 1, parallel_chunk: int = PARALLEL_CHUNK, parallel_min: int = PARALLEL_MIN_BYTES,
) -> FileStats:
    """Convert *src* to *dst* (UTF-8). With ``errors='strict'`` raises :class:`InputError` on
    bytes that are not text in the encoding; with ``errors='report'`` every such byte run is
    reported (line, column) and written as U+FFFD (``bad_bytes='replace'``) or kept as the
    original bytes (``'keep'``). *report* receives every unconvertible gaiji as an
    :class:`Occurrence`; *report_rows*, if given, receives them instead as batches of tuples in
    the same field order (faster for writing a report); *report_gaiji*, if given as well,
    receives the unmapped gaiji found outside bad-byte stretches (most of them) as columns:
    ``(file, lines, columns, [(code, unicode, reason), …])`` (faster still). With
    *report_text* all rows go to it instead (and worker processes format their own, the
    fastest way to write a report).

    Data is fed to the converter in pieces of about *chunk_size* bytes that end after a newline
    (where there is one), so where a piece ends never changes the output or the report. With
    *workers* > 1 and *src* a regular file of at least *parallel_min* bytes, the rest of the
    file after the first piece is converted in pieces of *parallel_chunk* bytes by that many
    processes (:mod:`gaiji.export.convert_parallel`); output and report are the same."""
    if encoding not in ENCODINGS:
        raise InputError(f"unknown encoding {encoding!r}: use {', '.join(ENCODINGS)}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    check_cp932_codec()
    codec = {"euc-jp": "euc_jp"}.get(encoding, encoding)
    if report_text is not None:
        report_rows, report_gaiji = report_text.rows, report_text.gaiji
    conv = _Converter(name, table, codec, report, errors=errors, bad_bytes=bad_bytes, report_rows=report_rows,
                      report_gaiji=report_gaiji)
    conv.report_text = report_text
    stats = FileStats(Path(name), Path(name), encoding)
    chunk = src.read(max(chunk_size, 3))
    short = len(chunk) < max(chunk_size, 3)  # the read came back short: the end of the input
    fed = 0  # offset in src of the first byte not yet fed to the converter
    had_bom = encoding in ("auto", "utf-8") and chunk.startswith(b"\xef\xbb\xbf")
    if had_bom:
        chunk = chunk[3:]
        fed = 3
        conv.encoding = "utf-8"
    if bom or had_bom:
        dst.write(b"\xef\xbb\xbf")
        stats.bytes_out += 3
    size = _regular_file_size(src) if workers > 1 else None
    probe = None
    if size is not None and size >= parallel_min:
        from gaiji.export import convert_parallel as parallel

        probe = parallel.IdleProbe()  # workers start only if the machine has a core to spare for them
    # a buffered file or memory reads all it is asked for unless at the end: the unfinished last
    # line of a piece is read again with the next (no copying); other streams are read ahead
    rereads = isinstance(src, (io.BufferedReader, io.BytesIO)) and src.seekable()
    while True:
        end = len(chunk)
        if rereads:
            final = short
            nxt = b""
        else:
            nxt = src.read(chunk_size)
            final = not nxt
        if not final:
            cut = chunk.rfind(b"\n") + 1
            if 0 < cut < end:  # the unfinished line goes with the next piece
                end = cut
                if not rereads:
                    nxt = chunk[cut:] + nxt
        blocks = conv.feed_blocks(chunk, final, end)
        dst.writelines(blocks)
        stats.bytes_out += sum(map(len, blocks))
        fed += end
        progress(fed)
        if final:
            break
        if rereads:
            if end < len(chunk):
                src.seek(fed)
            nxt = src.read(chunk_size)
            short = len(nxt) < chunk_size
        chunk = nxt
        if (size is not None and size - fed >= parallel_min and conv.decoder is not None
                and not conv.pending and conv.clean and conv.column_carry == 0):
            from gaiji.export import convert_parallel as parallel

            if probe is not None and probe.elapsed() < parallel.PARALLEL_PROBE:
                continue  # one process for now, while the machine's idle time is measured
            idle = probe.idle_cores() if probe is not None else None
            if idle is not None and idle < parallel.SPARE_CORES:  # the cores are busy with other work
                stats.shared_cores = True
                size = None
                continue
            fed, written, stats.shared_cores = parallel.convert_in_parallel(
                conv, src.fileno(), fed, size, dst, workers=workers, chunk_bytes=parallel_chunk, progress=progress)
            stats.bytes_out += written
            stats.workers = workers
            size = None  # once per file: what is left (normally nothing) is read here
            src.seek(fed)
            chunk = src.read(chunk_size)
            short = len(chunk) < chunk_size
    stats.bytes_in = fed
    stats.encoding = {"euc_jp": "euc-jp"}.get(conv.encoding, conv.encoding) or "ascii"
    stats.lines = conv.line - (conv.column_carry == 0)  # a last line ending in a newline is not one more
    stats.converted = conv.converted
    stats.unmapped = conv.unmapped
    stats.bad_bytes = conv.bad
    return stats


WRITEBACK_BYTES = 1 << 25
"""Output written before the operating system is asked to start writing it to disk."""


class _EarlyWriteback:
    """A binary output file that has the operating system start writing its data to disk every
    :data:`WRITEBACK_BYTES`, while converting goes on, so that the fsync making it durable
    (:func:`gaiji.fsutil.atomic_write`) has little left to wait for. Linux starts writing back
    the dirty pages it is asked to drop (``POSIX_FADV_DONTNEED``) and keeps them until written."""

    def __init__(self, dst: IO[bytes]) -> None:
        self.dst = dst
        self.written = self.started = 0
        try:
            self.fd: int | None = dst.fileno() if hasattr(os, "posix_fadvise") else None
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.fd = None

    def write(self, data: Any) -> int:
        self.dst.write(data)
        self.written += len(data)
        self._start_writeback()
        return len(data)

    def writelines(self, parts: list[bytes]) -> None:
        self.dst.writelines(parts)
        self.written += sum(map(len, parts))
        self._start_writeback()

    def _start_writeback(self) -> None:
        if self.fd is None or self.written - self.started < WRITEBACK_BYTES:
            return
        self.dst.flush()
        with contextlib.suppress(OSError):
            os.posix_fadvise(self.fd, self.started, self.written - self.started, os.POSIX_FADV_DONTNEED)
        self.started = self.written


def _regular_file_size(src: IO[bytes]) -> int | None:
    """Size of *src* if it is a regular file that can be read by offset, else None."""
    try:
        st = os.fstat(src.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) and src.seekable() else None


def default_workers() -> int:
    """Processes ``convert`` uses for a large file: the cores this process may run on, at most
    4 (as ``zstd -T0`` or ``pigz`` do). On a machine whose cores are all busy with other work,
    ``workers=1`` can be faster: the benchmark prints both."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def plan_outputs(inputs: Sequence[Path], *, output: Path | None, out_dir: Path | None) -> list[Path]:
    """Where each input goes: ``-o FILE`` for a single input, else ``--out-dir DIR/<name>``."""
    if (output is None) == (out_dir is None):
        raise InputError("give either -o OUT (one input file) or --out-dir DIR (any number)")
    if output is not None:
        if len(inputs) != 1:
            raise InputError(f"-o takes one input file, got {len(inputs)}; use --out-dir DIR for several")
        outs = [output]
    else:
        assert out_dir is not None
        names = [p.name for p in inputs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise InputError(f"several inputs are named {', '.join(twice)}; they would overwrite each "
                             "other in --out-dir: convert them in separate runs")
        outs = [out_dir / n for n in names]
    for src, dst in zip(inputs, outs):
        if src.resolve() == dst.resolve():
            raise InputError(f"output {dst} is the input itself; write somewhere else (the input is "
                             "kept as the original)")
    return outs


class ConvertFailed(InputError):
    """Some inputs could not be converted; :attr:`result` tells what was written and what not."""

    def __init__(self, message: str, result: ConvertResult) -> None:
        super().__init__(message)
        self.result = result


def convert_files(
    inputs: Iterable[str | Path],
    table: ConversionTable,
    *,
    output: str | Path | None = None,
    out_dir: str | Path | None = None,
    report_path: str | Path | None = None,
    encoding: str = "auto",
    bom: bool = False,
    chunk_size: int = CHUNK_SIZE,
    keep_first: int = 20,
    errors: str = "strict",
    bad_bytes: str = "replace",
    progress: Progress = no_progress,
    workers: int | None = None,
) -> ConvertResult:
    """Convert every input file; write each output atomically and every unconvertible gaiji
    occurrence (and, with ``errors='report'``, every bad byte run) to *report_path* (CSV: file,
    line, column, code, unicode, reason).

    Each input is converted on its own: one that fails (bytes that are not text in its
    encoding under ``errors='strict'``, an encoding that cannot be told) leaves **nothing**
    under its final name, the others are still written, and the report gets a row for it.
    Then :class:`ConvertFailed` is raised, carrying the result.

    *report_path* defaults to ``OUT.unmapped.csv`` (``-o``) or ``DIR/unmapped.csv``; it is
    removed again when nothing was unmapped and nothing failed.

    *workers* processes convert each large file (default :func:`default_workers`: the cores,
    at most 4); the output and the report are the same with any number.
    """
    srcs = [Path(p) for p in inputs]
    if not srcs:
        raise InputError("no input files given")
    for s in srcs:
        if not s.is_file():
            raise InputError(f"{s}: no such file")
    outs = plan_outputs(srcs, output=Path(output) if output else None,
                        out_dir=Path(out_dir) if out_dir else None)
    if report_path is None:
        report_path = (Path(output).with_name(Path(output).name + ".unmapped.csv") if output
                       else Path(out_dir) / "unmapped.csv")  # type: ignore[arg-type]
    report_path = Path(report_path)
    total = sum(s.stat().st_size for s in srcs)
    stats_all: list[FileStats] = []
    done_before = 0
    with atomic_write(report_path) as report_file:
        writer = csv.writer(report_file, lineterminator="\r\n")
        writer.writerow(REPORT_COLUMNS)
        writerow = writer.writerow
        sink = ReportText(report_file.write, keep_first)
        for src, dst in zip(srcs, outs):
            base = done_before
            try:
                with open(src, "rb") as fin, atomic_write(dst, "wb") as fout, gc_paused():
                    stats = convert_stream(
                        fin, cast("IO[bytes]", _EarlyWriteback(fout)), table, name=str(src), encoding=encoding, chunk_size=chunk_size, bom=bom,
                        report_text=sink, errors=errors, bad_bytes=bad_bytes,
                        workers=default_workers() if workers is None else workers,
                        progress=lambda n, base=base: progress(base + n, total, "convert"),
                    )
            except (InputError, OSError) as exc:
                message = str(exc) if isinstance(exc, InputError) else f"{src}: cannot be read ({exc})"
                stats = FileStats(src, dst, encoding, bytes_in=src.stat().st_size, error=message)
                writerow((neutralise(str(src)), "", "", "", "", f"file not converted, nothing written: {message}"))
            stats.input, stats.output = src, dst
            stats_all.append(stats)
            done_before += stats.bytes_in
    unmapped = sum(s.unmapped + s.bad_bytes for s in stats_all)
    failed = [s for s in stats_all if s.error]
    if not unmapped and not failed:
        report_path.unlink(missing_ok=True)
    progress(total, total, "convert")
    result = ConvertResult(stats_all, report_path if unmapped or failed else None,
                           sum(s.unmapped for s in stats_all), sink.by_code(), sink.first,
                           sorted(set(table.not_addressable)))
    if failed:
        written = [str(s.output) for s in stats_all if not s.error]
        raise ConvertFailed(
            "\n".join(s.error for s in failed)
            + f"\n{len(failed)} of {len(stats_all)} input(s) not converted (nothing written under their names)"
            + (f"; written: {', '.join(written)}" if written else "")
            + f"; every input is in the report {report_path}",
            result,
        )
    return result
