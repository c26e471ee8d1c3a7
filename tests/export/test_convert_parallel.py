"""Issue 13 (throughput): the fast paths of convert — glibc iconv for CP932, pieces ending at
newlines, worker processes — give the same bytes and the same report as one process reading
the whole file as a single chunk through Python's codec."""

from __future__ import annotations

import io
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gaiji.export.convert as convert_module
from gaiji.errors import InputError
from gaiji.export.convert import ConversionTable, convert_files, convert_stream
from gaiji.export.cp932_iconv import cp932_to_utf8

# F040 → 辻 + IVS, F041 → 髙, F09F → 𠮷; F042 and F9FC unmapped
TABLE = ConversionTable(targets={0xE000: "辻\U000e0101", 0xE001: "髙", 0xE05E: "\U00020bb7"})

LINES = [
    "番号,氏名,よみ,住所\r\n".encode("cp932"),
    "00001,山田".encode("cp932") + b"\xf0\x40" + "太郎,やまだ,東京都\r\n".encode("cp932"),
    "00002,".encode("cp932") + b"\xf0\x42\xf9\xfc" + "花子,ﾊﾅｺ,大阪府\r\n".encode("cp932"),  # two unmapped
    b"00003,bad\x85\x7fbytes,\x82\r\n",  # not CP932: a bad pair, then a lone lead byte before CR
    b"00004,rare\x80 \xa0 \xfd\xfe\xff,x\n",  # bytes CP932 does not define: reported like gaiji
    "00005,".encode("cp932") + b"\xf0\x41\xf0\x9f" * 3 + ",long line ".encode("cp932") * 40 + b"\r\n",
    "00006,髙橋,たかはし,\r\n".encode("cp932"),
    "00007,ｶﾀｶﾅ,".encode("cp932") + b"\xf0\x42" + b",end",  # the last line has no newline
]
DATA = b"".join(LINES[:-1]) * 7 + LINES[-1]


def _run(data: bytes, **kw):
    out, found = io.BytesIO(), []
    stats = convert_stream(io.BytesIO(data), out, TABLE, report=found.append, **kw)
    return out.getvalue(), found, stats


def _single_chunk(data: bytes, monkeypatch, **kw):
    """The reference: one chunk, Python's codec only, one process."""
    with monkeypatch.context() as m:
        m.setattr(convert_module, "ICONV_MIN_BYTES", 1 << 62)
        return _run(data, chunk_size=len(data) + 1, **kw)


def _in_parallel(tmp_path, data: bytes, name: str, monkeypatch, *, piece: int = 97, **kw):
    """Through the file path with two worker processes, tiny pieces and iconv on every block."""
    src = tmp_path / name
    src.write_bytes(data)
    found: list = []
    out = io.BytesIO()
    with monkeypatch.context() as m:
        m.setattr(convert_module, "ICONV_MIN_BYTES", 0)
        m.setattr(convert_module, "BLOCK_BYTES", 64)
        with open(src, "rb") as fh:
            stats = convert_stream(fh, out, TABLE, report=found.append, workers=2, parallel_chunk=piece,
                                   parallel_min=0, chunk_size=50, **kw)
    return out.getvalue(), found, stats


def _same(a, b) -> None:
    out_a, found_a, stats_a = a
    out_b, found_b, stats_b = b
    assert out_a == out_b
    assert [(o.line, o.column, o.code, o.unicode, o.reason) for o in found_a] == \
        [(o.line, o.column, o.code, o.unicode, o.reason) for o in found_b]
    for attr in ("lines", "converted", "unmapped", "bad_bytes", "bytes_out", "encoding"):
        assert getattr(stats_a, attr) == getattr(stats_b, attr), attr


needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked (Linux)")


@pytest.fixture(autouse=True)
def _start_workers_at_once(monkeypatch):
    """Small files convert faster than the idle-time probe: start the workers without it."""
    import gaiji.export.convert_parallel as parallel

    monkeypatch.setattr(parallel, "PARALLEL_PROBE", 0.0)


@needs_fork
@pytest.mark.parametrize("bad_bytes", ["replace", "keep"])
def test_workers_give_the_single_chunk_output_and_report(tmp_path, monkeypatch, bad_bytes):
    reference = _single_chunk(DATA, monkeypatch, encoding="cp932", errors="report", bad_bytes=bad_bytes)
    out, _found, stats = reference
    assert stats.converted == 7 * 7 and stats.unmapped == 7 * (2 + 5) + 1 and stats.bad_bytes == 7 * 2
    assert out.count("辻\U000e0101".encode()) == 7 and b"\r\n" in out  # line ends are kept
    parallel = _in_parallel(tmp_path, DATA, "d.csv", monkeypatch, encoding="cp932", errors="report",
                            bad_bytes=bad_bytes)
    assert parallel[2].workers == 2  # it really ran in worker processes
    _same(parallel, reference)


@needs_fork
def test_workers_give_the_same_report_file_as_one_process(tmp_path, monkeypatch):
    src = tmp_path / "residents.csv"
    src.write_bytes(DATA)
    with monkeypatch.context() as m:
        m.setattr(convert_module, "ICONV_MIN_BYTES", 1 << 62)
        one = convert_files([src], TABLE, output=tmp_path / "one.csv", encoding="cp932", errors="report",
                            workers=1, chunk_size=1 << 20)
    with monkeypatch.context() as m:
        m.setattr(convert_module, "ICONV_MIN_BYTES", 0)
        m.setattr(convert_module, "PARALLEL_MIN_BYTES", 0)
        m.setattr(convert_module.convert_stream, "__kwdefaults__",
                  {**convert_stream.__kwdefaults__, "parallel_min": 0, "parallel_chunk": 61})
        two = convert_files([src], TABLE, output=tmp_path / "two.csv", encoding="cp932", errors="report",
                            workers=2, chunk_size=64)
    assert two.files[0].workers == 2 and one.files[0].workers == 1
    assert (tmp_path / "two.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "two.csv.unmapped.csv").read_bytes() == (tmp_path / "one.csv.unmapped.csv").read_bytes()
    assert two.unmapped_by_code == one.unmapped_by_code and two.first_unmapped == one.first_unmapped


@needs_fork
def test_a_bad_byte_in_a_worker_piece_fails_as_one_process_does(tmp_path, monkeypatch):
    data = b"".join(LINES[:3]) * 30 + LINES[3] + b"".join(LINES[:3]) * 5  # strict: the bad line is in the middle
    with pytest.raises(InputError) as one:
        _single_chunk(data, monkeypatch, encoding="cp932")
    with pytest.raises(InputError) as many:
        _in_parallel(tmp_path, data, "d.csv", monkeypatch, encoding="cp932")
    assert str(many.value) == str(one.value)
    assert "line 91, column 10: bytes 85 are not valid CP932" in str(one.value)


@needs_fork
@pytest.mark.parametrize("encoding", ["utf-8", "euc-jp", "auto"])
def test_workers_with_other_encodings(tmp_path, monkeypatch, encoding):
    text = "氏名,よみ\n山田\ue000郎,やまだ\n佐藤\ue001\ue0aa,さとう\r\n" * 40 + "末尾\ue000"
    if encoding == "euc-jp":  # user-defined rows 85–94: U+E000 + i is row 85 + i // 94, cell 1 + i % 94
        data = b"".join(bytes([0xF5 + (ord(c) - 0xE000) // 94, 0xA1 + (ord(c) - 0xE000) % 94])
                        if 0xE000 <= ord(c) <= 0xE3AB else c.encode("euc-jp") for c in text)
    else:
        data = text.encode("utf-8")
    reference = _single_chunk(data, monkeypatch, encoding=encoding, errors="report")
    _same(_in_parallel(tmp_path, data, "d.txt", monkeypatch, piece=23, encoding=encoding, errors="report"),
          reference)


@needs_fork
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(LINES[:-1] + [b"\n", b"\r\n", b"\xf0", b"\x81", b"abc"]), min_size=1, max_size=40),
       st.integers(min_value=1, max_value=200))
def test_any_cut_of_any_mixture_gives_the_same_result(tmp_path, monkeypatch, parts, piece):
    data = b"".join(parts)
    reference = _single_chunk(data, monkeypatch, encoding="cp932", errors="report")
    _same(_in_parallel(tmp_path, data, "d.csv", monkeypatch, piece=piece, encoding="cp932", errors="report"),
          reference)


@pytest.mark.skipif(cp932_to_utf8() is None, reason="no C library iconv that agrees with Python's cp932")
def test_iconv_agrees_with_pythons_codec_or_refuses():
    iconv = cp932_to_utf8()
    assert iconv is not None
    text = DATA.replace(b"\x85\x7f", b"").replace(b"\x80", b"").replace(b"\xa0", b"").replace(b"\xfd\xfe\xff", b"")
    text = text.replace(b",\x82\r\n", b",\r\n")
    assert iconv(text) == text.decode("cp932").encode("utf-8")
    uda = bytes(b for code in range(0xF040, 0xF9FD) if 0x40 <= code & 0xFF <= 0xFC and code & 0xFF != 0x7F
                for b in (code >> 8, code & 0xFF))
    assert iconv(uda) == uda.decode("cp932").encode("utf-8")  # F040–F9FC → U+E000–U+E757
    for refused in (b"\x80", b"a\xa0", b"\xfd", b"\x85\x7f", b"ok\x82", b"\x82"):
        assert iconv(refused) is None  # convert then takes Python's codec and its careful report
    assert iconv(b"xx\xf0\x40yy", 2, 4) == "\ue000".encode()  # a range of a bytes object, no copy


def test_small_files_and_streams_stay_in_one_process(tmp_path):
    out, _, stats = _run(DATA, encoding="cp932", errors="report", workers=2)  # not a file: no workers
    assert stats.workers == 1 and out
    src = tmp_path / "small.csv"
    src.write_bytes(DATA)
    result = convert_files([src], TABLE, output=tmp_path / "o.csv", encoding="cp932", errors="report", workers=2)
    assert result.files[0].workers == 1  # far below PARALLEL_MIN_BYTES


def _mixed_file(tmp_path, lines: int = 3000):
    """A CP932 file mixing mapped and unmapped gaiji, bytes CP932 does not define, bad bytes
    and both line ends, long enough for many pieces."""
    rows = []
    for i in range(lines):
        row = f"{i:05d},山田".encode("cp932")
        row += [b"\xf0\x40", b"\xf0\x42", b"\xf9\xfc", b"\xf0\x41\xf0\x42", b""][i % 5]
        row += "太郎,ﾔﾏﾀﾞ,".encode("cp932")
        if i % 97 == 0:
            row += b"bad\x85\x7f,\xa0"
        row += b"\r\n" if i % 3 else b"\n"
        rows.append(row)
    src = tmp_path / "mixed.csv"
    src.write_bytes(b"".join(rows) + "末尾".encode("cp932") + b"\xf0\x42")
    return src


def _convert_with(tmp_path, src, name, monkeypatch, *, workers, piece=4096, patches=()):
    with monkeypatch.context() as m:
        m.setattr(convert_module, "ICONV_MIN_BYTES", 0)
        m.setattr(convert_module, "BLOCK_BYTES", 1000)
        m.setattr(convert_module.convert_stream, "__kwdefaults__",
                  {**convert_stream.__kwdefaults__, "parallel_min": 0, "parallel_chunk": piece})
        for module, attr, value in patches:
            m.setattr(module, attr, value)
        result = convert_files([src], TABLE, output=tmp_path / name, encoding="cp932", errors="report",
                               workers=workers, chunk_size=2048)
    return result, (tmp_path / name).read_bytes(), (tmp_path / f"{name}.unmapped.csv").read_bytes()


@needs_fork
def test_worker_formatted_reports_are_the_one_process_report_byte_for_byte(tmp_path, monkeypatch):
    src = _mixed_file(tmp_path)
    one, out_one, report_one = _convert_with(tmp_path, src, "one.csv", monkeypatch, workers=1)
    two, out_two, report_two = _convert_with(tmp_path, src, "two.csv", monkeypatch, workers=2)
    import gaiji.export.convert_parallel as parallel

    alone, out_alone, report_alone = _convert_with(  # judged shared after the first piece: goes on alone
        tmp_path, src, "alone.csv", monkeypatch, workers=3,
        patches=[(parallel, "SHARED_AFTER", 0.0), (parallel, "SHARED_CPU", 2.0)])
    assert one.files[0].workers == 1 and two.files[0].workers == 2 and alone.files[0].workers == 3
    assert alone.files[0].shared_cores and not two.files[0].shared_cores
    assert one.unmapped == 3000 * 3 // 5 + 1 + 31 and one.bad_bytes == 31  # 3 of every 5 rows, the last, A0 bytes
    for result, out, report in ((two, out_two, report_two), (alone, out_alone, report_alone)):
        assert out == out_one
        assert report.replace(b"two.csv", b"one.csv").replace(b"alone.csv", b"one.csv") == report_one
        assert list(result.unmapped_by_code.items()) == list(one.unmapped_by_code.items())  # same order too
        assert result.first_unmapped == one.first_unmapped
    # codes counted in order of first appearance, whichever way the rows came
    assert list(one.unmapped_by_code) == ["bytes 85", "byte A0", "F042", "F9FC"]


class _Stream(io.RawIOBase):
    """A stream that cannot seek (a pipe, say): read ahead rather than read again."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._data.read(n)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1000])
def test_rereading_the_unfinished_line_gives_what_reading_ahead_gives(monkeypatch, chunk_size):
    for encoding in ("cp932", "auto"):
        reference = _single_chunk(DATA, monkeypatch, encoding=encoding, errors="report")
        with monkeypatch.context() as m:
            m.setattr(convert_module, "ICONV_MIN_BYTES", 0)  # the iconv path reads a part of a piece in place
            _same(_run(DATA, encoding=encoding, errors="report", chunk_size=chunk_size), reference)  # BytesIO: reread
            out, found = io.BytesIO(), []
            stats = convert_stream(_Stream(DATA), out, TABLE, report=found.append, encoding=encoding,
                                   errors="report", chunk_size=chunk_size)
            _same((out.getvalue(), found, stats), reference)
