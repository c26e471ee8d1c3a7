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
"""

from __future__ import annotations

import codecs
import csv
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gaiji.codes import PUA_FIRST, UDA_PUA_LAST, is_pua, pua_to_sjis, sjis_to_pua
from gaiji.codes import char as code_char
from gaiji.errors import ContractError, InputError
from gaiji.export.readers import read_mapping
from gaiji.export.validate import cross_row_problems, schema_problems
from gaiji.export.writers import neutralise
from gaiji.fsutil import atomic_write
from gaiji.progress import Progress, no_progress

CHUNK_SIZE = 1 << 20
ENCODINGS = ("auto", "cp932", "utf-8")
REPORT_COLUMNS = ("file", "line", "column", "code", "unicode", "reason")
UNDEFINED_CP932 = {0x80: 0x80, 0xF8F0: 0xA0, 0xF8F1: 0xFD, 0xF8F2: 0xFE, 0xF8F3: 0xFF}
"""Code points Python's cp932 codec gives to single bytes that CP932 does not define."""

_GAIJI_UTF8 = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")
_GAIJI_CP932 = re.compile("[\ue000-\ue757\x80\uf8f0-\uf8f3]")


@dataclass(frozen=True)
class Occurrence:
    """One gaiji in the data that could not be converted."""

    file: str
    line: int
    column: int
    code: str  # 'F040' (CP932 data), 'U+E000' (UTF-8 data), 'byte A0' (not CP932)
    unicode: str  # the private-use code point it was read as, 'U+E000'
    reason: str


@dataclass
class ConversionTable:
    """Private-use code point → replacement text, plus why some codes cannot be used."""

    targets: dict[int, str] = field(default_factory=dict)
    unusable: dict[int, str] = field(default_factory=dict)
    not_addressable: list[str] = field(default_factory=list)  # codes no CP932/UTF-8 data can carry
    fallback: bool = False

    def __len__(self) -> int:
        return len(self.targets)


def code_to_pua(code: str) -> int | None:
    """The private-use code point a mapping ``code`` stands for, or ``None``.

    ``U+E000`` is the code point itself; a bare 4-digit hex code (``F040``, ``0xF040``) in the
    Shift_JIS user-defined area F040–F9FC is converted by the Windows rule.

    >>> code_to_pua('U+E001'), code_to_pua('F040'), code_to_pua('0xF9FC'), code_to_pua('7521')
    (57345, 57344, 59223, None)
    """
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
    table = read_mapping(mapping, encoding=encoding)
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
    if source is not None:
        rows = [r for r in rows if r.values.get("source") == source]
        if not rows:
            sources = sorted({str(r.values.get("source")) for r in table.rows})
            raise ContractError(f"no rows of source {source!r} in {mapping}; it has: {', '.join(sources)}")
    out = ConversionTable(fallback=fallback)
    seen: dict[int, tuple[str, str, str, str]] = {}  # cp → (text, reason, source, row label)
    for row in rows:
        v = row.values
        code = str(v.get("code", ""))
        cp = code_to_pua(code)
        if cp is None:
            out.not_addressable.append(code)
            continue
        text, reason = _row_target(v, fallback=fallback)
        unsafe = [c for c in text if ord(c) < 0x80 or unicodedata.category(c) in ("Cc", "Zl", "Zp")
                  or is_pua(ord(c))]
        if unsafe:
            raise ContractError(
                f"{mapping} {row.label}: target {text!r} contains {', '.join(f'U+{ord(c):04X}' for c in unsafe)}, "
                "which would change the structure of the data (delimiters, quotes, line breaks) or is "
                "itself private use; run `gaiji validate` and correct the table"
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
    text = str(v.get("fallback_char" if use_fb else "char", ""))
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


def _sniff_is_utf8(chunk: bytes, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final)
        return True
    except UnicodeDecodeError:
        return False


_NOT_IN_EUC_JP = re.compile(rb"[\x80-\x8d\x90-\xa0]")  # bytes EUC-JP never uses (8E/8F are its shifts)


def _sniff_is_euc_jp(chunk: bytes, final: bool) -> bool:
    """True for text that is EUC-JP rather than CP932: no byte 80–A0 (CP932 writes every
    hiragana and JIS level-1 kanji with a lead byte 81–9F), some byte E0–FE (so not just
    half-width katakana) and it decodes as EUC-JP."""
    if _NOT_IN_EUC_JP.search(chunk) or max(chunk, default=0) < 0xE0:
        return False
    try:
        codecs.getincrementaldecoder("euc_jp")().decode(chunk, final)
        return True
    except UnicodeDecodeError:
        return False


class _Converter:
    """Streams one file; keeps line/column position across chunks."""

    def __init__(self, name: str, table: ConversionTable, encoding: str,
                 report: Callable[[Occurrence], None]) -> None:
        self.name = name
        self.table = table
        self.requested = encoding
        self.encoding = "" if encoding == "auto" else encoding
        self.decoder: Any = None
        self.report = report
        self.line = 1  # line of the start of the current text
        self.column_carry = 0  # characters since the last newline, before the current text
        self.converted = 0
        self.unmapped = 0

    def _set_encoding(self, encoding: str) -> None:
        self.encoding = encoding
        self.decoder = codecs.getincrementaldecoder(encoding)("strict")
        self.pattern = _GAIJI_CP932 if encoding == "cp932" else _GAIJI_UTF8

    def feed(self, chunk: bytes, final: bool) -> str:
        if self.decoder is None:
            if self.encoding:
                self._set_encoding(self.encoding)
            elif chunk.isascii() and not final:
                # undecided: ASCII means the same in both encodings (and carries no gaiji)
                return self._convert(chunk.decode("ascii"))
            elif _sniff_is_utf8(chunk, final):
                self._set_encoding("utf-8")
            elif _sniff_is_euc_jp(chunk, final):
                raise InputError(
                    f"{self.name}: looks like EUC-JP, which convert does not read (as CP932 it would turn into "
                    f"other characters, and its gaiji bytes into the wrong gaiji); re-encode it to UTF-8 with its "
                    f"gaiji as private-use code points, or pass --encoding cp932 if it really is CP932. "
                    f"Nothing was written for this file"
                )
            else:
                self._set_encoding("cp932")
        try:
            text = self.decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise self._decode_error(exc) from exc
        return self._convert(text)

    def _decode_error(self, exc: UnicodeDecodeError) -> InputError:
        data = exc.object if isinstance(exc.object, bytes) else b""
        good = data[: exc.start].decode(self.encoding, errors="replace")
        line = self.line + good.count("\n")
        last_nl = good.rfind("\n")
        column = (len(good) - last_nl) if last_nl >= 0 else self.column_carry + len(good) + 1
        bad = data[exc.start: exc.end].hex(" ").upper()
        if self.encoding == "utf-8":
            hint = "if the file is Shift_JIS, pass --encoding cp932"
        else:
            hint = "the file is neither valid CP932 nor (if it is UTF-8) read as such: try --encoding utf-8"
        how = "was detected as" if self.requested == "auto" else "was read as"
        return InputError(
            f"{self.name}: line {line}, column {column}: bytes {bad} are not valid {self.encoding.upper()} "
            f"(the file {how} {self.encoding.upper()}); {hint}. Nothing was written for this file"
        )

    def _convert(self, text: str) -> str:
        if not text:
            return text
        state = {"pos": 0, "line": self.line}
        targets = self.table.targets
        is_cp932 = self.encoding == "cp932"

        def replace(m: re.Match[str]) -> str:
            cp = ord(m.group())
            target = targets.get(cp)
            if target is not None and not (is_cp932 and cp in UNDEFINED_CP932):
                self.converted += 1
                return target
            pos = m.start()
            state["line"] += text.count("\n", state["pos"], pos)
            state["pos"] = pos
            last_nl = text.rfind("\n", 0, pos)
            column = pos - last_nl if last_nl >= 0 else self.column_carry + pos + 1
            if is_cp932 and cp in UNDEFINED_CP932:
                code = f"byte {UNDEFINED_CP932[cp]:02X}"
                reason = "not a character in CP932 (is the file really Shift_JIS?)"
            else:
                code = f"{pua_to_sjis(cp):04X}" if is_cp932 and PUA_FIRST <= cp <= UDA_PUA_LAST else f"U+{cp:04X}"
                reason = self.table.unusable.get(cp) or "not in the mapping table"
            self.unmapped += 1
            self.report(Occurrence(self.name, state["line"], column, code, f"U+{cp:04X}", reason))
            return m.group()

        out = self.pattern.sub(replace, text) if self.decoder is not None else text
        newlines = text.count("\n")
        if newlines:
            self.line += newlines
            self.column_carry = len(text) - text.rfind("\n") - 1
        else:
            self.column_carry += len(text)
        return out


def convert_stream(
    src: IO[bytes], dst: IO[bytes], table: ConversionTable, *, name: str = "<stream>",
    encoding: str = "auto", chunk_size: int = CHUNK_SIZE, bom: bool = False,
    report: Callable[[Occurrence], None] = lambda o: None,
    progress: Callable[[int], None] = lambda n: None,
) -> FileStats:
    """Convert *src* to *dst* (UTF-8). Raises :class:`InputError` on bytes that are not text in
    the encoding; *report* receives every unconvertible gaiji."""
    if encoding not in ENCODINGS:
        raise InputError(f"unknown encoding {encoding!r}: use auto, cp932 or utf-8")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    check_cp932_codec()
    conv = _Converter(name, table, encoding, report)
    stats = FileStats(Path(name), Path(name), encoding)
    chunk = src.read(max(chunk_size, 3))
    stats.bytes_in += len(chunk)
    had_bom = encoding != "cp932" and chunk.startswith(b"\xef\xbb\xbf")
    if had_bom:
        chunk = chunk[3:]
        conv.encoding = "utf-8"
    if bom or had_bom:
        dst.write(b"\xef\xbb\xbf")
        stats.bytes_out += 3
    while True:
        nxt = src.read(chunk_size)
        final = not nxt
        data = conv.feed(chunk, final).encode("utf-8")
        dst.write(data)
        stats.bytes_out += len(data)
        progress(stats.bytes_in)
        if final:
            break
        stats.bytes_in += len(nxt)
        chunk = nxt
    stats.encoding = conv.encoding or "ascii"
    stats.lines = conv.line - (conv.column_carry == 0)  # a last line ending in a newline is not one more
    stats.converted = conv.converted
    stats.unmapped = conv.unmapped
    return stats


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
    progress: Progress = no_progress,
) -> ConvertResult:
    """Convert every input file; write each output atomically and every unconvertible gaiji
    occurrence to *report_path* (CSV: file, line, column, code, unicode, reason).

    *report_path* defaults to ``OUT.unmapped.csv`` (``-o``) or ``DIR/unmapped.csv``; it is
    removed again when nothing was unmapped.
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
    first: list[Occurrence] = []
    by_code: Counter = Counter()
    stats_all: list[FileStats] = []
    done_before = 0
    with atomic_write(report_path) as report_file:
        writer = csv.writer(report_file, lineterminator="\r\n")
        writer.writerow(REPORT_COLUMNS)

        def report(o: Occurrence) -> None:
            writer.writerow([neutralise(str(o.file)), o.line, o.column, o.code, o.unicode, o.reason])
            by_code[o.code] += 1
            if len(first) < keep_first:
                first.append(o)

        for src, dst in zip(srcs, outs):
            base = done_before
            with open(src, "rb") as fin, atomic_write(dst, "wb") as fout:
                stats = convert_stream(
                    fin, fout, table, name=str(src), encoding=encoding, chunk_size=chunk_size, bom=bom,
                    report=report, progress=lambda n, base=base: progress(base + n, total, "convert"),
                )
            stats.input, stats.output = src, dst
            stats_all.append(stats)
            done_before += stats.bytes_in
    unmapped = sum(s.unmapped for s in stats_all)
    if not unmapped:
        report_path.unlink(missing_ok=True)
    progress(total, total, "convert")
    return ConvertResult(stats_all, report_path if unmapped else None, unmapped, by_code, first,
                         sorted(set(table.not_addressable)))
