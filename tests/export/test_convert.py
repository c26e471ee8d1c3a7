"""`gaiji convert`: export → validate → convert round trips, chunk boundaries, the unmapped
report, and random byte streams."""

from __future__ import annotations

import codecs
import io

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaiji.cli import cli
from gaiji.codes import char as code_char
from gaiji.codes import sjis_to_pua
from gaiji.errors import ContractError, InputError
from gaiji.export.convert import (
    ConversionTable,
    convert_files,
    convert_stream,
    load_conversion_table,
)
from gaiji.export.fallback import choose_fallback
from gaiji.export.mapping import export_mapping
from tests.export.conftest import read_csv_rows


def test_python_cp932_decodes_the_user_defined_area_by_the_windows_rule() -> None:
    checked = 0
    for lead in range(0xF0, 0xFA):
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            code = (lead << 8) | trail
            assert bytes([lead, trail]).decode("cp932") == chr(sjis_to_pua(code))
            checked += 1
    assert checked == 1880


def _residents(chars: list[str]) -> str:
    """A small ledger in which gaiji stand for parts of names."""
    a, b = chars
    return (
        "番号,氏名,よみ\r\n"
        f"1,{a}田 一郎,つじた いちろう\r\n"
        f"2,山{b},やまつるぎ\r\n"
        f"3,{a}{b}{a},\r\n"
    )


ROUND_TRIPS = [("csv", {}), ("csv", {"bom": True}), ("tsv", {}), ("json", {}), ("xml", {})]


@pytest.mark.parametrize("fmt,options", ROUND_TRIPS)
@pytest.mark.parametrize("data_encoding", ["cp932", "utf-8"])
def test_round_trip_export_validate_convert(decided_set, reference, tmp_path, fmt, options, data_encoding) -> None:
    mapping = tmp_path / f"mapping.{fmt}"
    export_mapping(decided_set.path, mapping, reference=reference, **options)
    runner = CliRunner()
    assert runner.invoke(cli, ["validate", str(mapping)]).exit_code == 0
    data = tmp_path / "residents.csv"
    data.write_bytes(_residents(["\ue000", "\ue001"]).encode(data_encoding))
    out = tmp_path / "out.csv"
    res = runner.invoke(cli, ["convert", str(data), "--mapping", str(mapping), "--source", "EUDC.TTE",
                              "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    expected = _residents([decided_set.expected["g1"], decided_set.expected["g2"]])
    assert out.read_bytes().decode("utf-8") == expected
    assert "\u8fb6\U000e0102田" in expected  # the IVS travels with its base
    assert not (tmp_path / "out.csv.unmapped.csv").exists()
    # and the fallback for systems without IVS
    res = runner.invoke(cli, ["convert", str(data), "--mapping", str(mapping), "--source", "EUDC.TTE",
                              "-o", str(out), "--fallback", "-q"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes().decode("utf-8") == _residents(["\ufa66", "剣"])


def test_sources_that_disagree_on_a_code_need_source(decided_set, reference, tmp_path) -> None:
    mapping = tmp_path / "m.csv"
    export_mapping(decided_set.path, mapping, reference=reference)
    # EUDC.TTE U+E000 and gaiji.bdf 0xF040 are both PUA U+E000, but different characters
    with pytest.raises(ContractError, match="choose one source with --source"):
        load_conversion_table(mapping)
    # one source says 該当なし where another has a character: just as ambiguous
    rows = read_csv_rows(mapping)
    g3 = next(r for r in rows if r["gaiji_id"] == "g3")  # EUDC.TTE U+E002, 該当なし
    extra = dict(next(r for r in rows if r["gaiji_id"] == "g8"), gaiji_id="g9", code="F042")
    import csv as _csv
    with open(tmp_path / "m2.csv", "w", encoding="utf-8", newline="") as handle:
        writer = _csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([g3, extra])
    with pytest.raises(ContractError, match=r"nothing usable \(mapping row g3 is 該当なし"):
        load_conversion_table(tmp_path / "m2.csv")
    assert load_conversion_table(tmp_path / "m2.csv", source="gaiji.bdf").targets == {0xE002: "㑨"}
    bdf = load_conversion_table(mapping, source="gaiji.bdf")
    assert bdf.targets == {0xE000: "㑨"}
    with pytest.raises(ContractError, match="no rows of source 'nope'"):
        load_conversion_table(mapping, source="nope")


def test_unmapped_gaiji_are_reported_with_position_and_kept(decided_set, reference, tmp_path) -> None:
    mapping = tmp_path / "m.json"
    export_mapping(decided_set.path, mapping, reference=reference)
    data = tmp_path / "d.txt"
    text = "abc\ue000\n\ue002x\ue010\r\nあ\ue003\n"
    data.write_bytes(text.encode("cp932"))
    out = tmp_path / "o.txt"
    res = CliRunner().invoke(cli, ["convert", str(data), "-m", str(mapping), "--source", "EUDC.TTE", "-o", str(out)])
    assert res.exit_code == 1
    report = read_csv_rows(tmp_path / "o.txt.unmapped.csv")
    got = [(r["line"], r["column"], r["code"], r["unicode"]) for r in report]
    assert got == [("2", "1", "F042", "U+E002"), ("2", "3", "F050", "U+E010"), ("3", "2", "F043", "U+E003")]
    assert "該当なし" in report[0]["reason"] and "not in the mapping table" in report[1]["reason"]
    assert all(r["file"] == str(data) for r in report)
    converted = out.read_bytes().decode("utf-8")
    assert converted == text.replace("\ue000", decided_set.expected["g1"])  # others kept as PUA
    assert "3 gaiji occurrence(s) not converted" in res.output
    res = CliRunner().invoke(cli, ["convert", str(data), "-m", str(mapping), "--source", "EUDC.TTE",
                                   "-o", str(out), "--allow-unmapped", "-q"])
    assert res.exit_code == 0


TABLE = ConversionTable(targets={0xE000: "\u8fb6\U000e0102", 0xE001: "劎", 0xE757: "㑨"})


def _convert_bytes(data: bytes, encoding: str, chunk_size: int) -> tuple[bytes, list]:
    found: list = []
    out = io.BytesIO()
    convert_stream(io.BytesIO(data), out, TABLE, encoding=encoding, chunk_size=chunk_size, report=found.append)
    return out.getvalue(), found


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "auto"])
def test_chunk_boundaries_inside_multibyte_sequences(encoding) -> None:
    text = "氏名\ue000\ue001,\ue002様\r\n" * 5 + "末尾\ue757"
    data = text.encode("cp932" if encoding != "utf-8" else "utf-8")
    whole, whole_report = _convert_bytes(data, encoding, 1 << 20)
    assert whole.decode("utf-8") == text.translate({0xE000: "\u8fb6\U000e0102", 0xE001: "劎", 0xE757: "㑨"})
    assert len(whole_report) == 5 and whole_report[0].line == 1 and whole_report[-1].line == 5
    for size in range(1, 9):
        assert _convert_bytes(data, encoding, size) == (whole, whole_report)


def test_bytes_that_are_not_cp932() -> None:
    _out, found = _convert_bytes("a\ue000".encode("cp932") + b"\xa0\n\x80", "cp932", 3)
    assert [(o.code, o.line, o.column) for o in found] == [("byte A0", 1, 3), ("byte 80", 2, 1)]
    with pytest.raises(InputError, match=r"line 2, column 3: bytes 85 .* not valid CP932"):
        _convert_bytes(b"ok\r\nxy\x85\x7f", "cp932", 2)
    with pytest.raises(InputError, match=r"line 1, column 2: .*not valid UTF-8.*--encoding cp932"):
        _convert_bytes("a\ue000".encode("cp932"), "utf-8", 1)



def test_auto_refuses_euc_jp_instead_of_reading_it_as_cp932() -> None:
    euc = "氏名,よみ\n佐藤花子,さとうはなこ\n".encode("euc_jp")
    euc_decoded_as_cp932 = euc.decode("cp932")  # valid CP932 too: this is what would be written
    assert euc_decoded_as_cp932 != "氏名,よみ\n佐藤花子,さとうはなこ\n"
    with pytest.raises(InputError, match="looks like EUC-JP"):
        _convert_bytes(euc, "auto", 1 << 20)
    out, _ = _convert_bytes(euc, "cp932", 1 << 20)  # the user's explicit choice is kept
    assert out.decode("utf-8") == euc_decoded_as_cp932
    for cp932 in ("ﾔﾏﾀﾞ ﾀﾛｳ\n".encode("cp932"), "山田\ue000郎\n".encode("cp932")):
        out, _ = _convert_bytes(cp932, "auto", 1 << 20)
        assert out.decode("utf-8").startswith(("ﾔﾏﾀﾞ", "山田"))

def test_failed_file_is_not_written_and_inputs_are_protected(tmp_path) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"fine\n\x85\x7f")
    out = tmp_path / "out.txt"
    with pytest.raises(InputError):
        convert_files([src], TABLE, output=out, encoding="cp932")
    # nothing under the output's name; the report says why (issue 13: a report for every input)
    report = tmp_path / "out.txt.unmapped.csv"
    assert not out.exists() and sorted(tmp_path.iterdir()) == sorted([src, report])
    assert "file not converted, nothing written" in report.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="is the input itself"):
        convert_files([src], TABLE, output=src)


def test_several_files_into_a_folder(tmp_path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.tsv"
    a.write_bytes("x\ue000\n".encode("cp932"))
    b.write_bytes("\ufeffy\ue001\n".encode("utf-8"))
    result = convert_files([a, b], TABLE, out_dir=tmp_path / "out")
    assert (tmp_path / "out" / "a.csv").read_text(encoding="utf-8") == "x\u8fb6\U000e0102\n"
    assert (tmp_path / "out" / "b.tsv").read_bytes() == "\ufeffy劎\n".encode("utf-8")  # BOM kept
    assert [f.encoding for f in result.files] == ["cp932", "utf-8"]
    assert result.converted == 2 and result.report_path is None
    assert [f.lines for f in result.files] == [1, 1]  # "x…\n" is one line, not two


def test_line_count_of_files_with_and_without_a_last_newline() -> None:
    for data, lines in ((b"", 0), (b"a", 1), (b"a\n", 1), (b"a\nb", 2), (b"a\r\nb\r\n", 2)):
        stats = convert_stream(io.BytesIO(data), io.BytesIO(), TABLE, encoding="auto")
        assert stats.lines == lines, data


def _reference_conversion(data: bytes, encoding: str) -> tuple[str, int] | None:
    """Independent one-shot conversion: decode everything, then map code point by code point."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    gaiji = sum(1 for c in text if 0xE000 <= ord(c) <= 0xF8FF or ord(c) >= 0xF0000 or
                (encoding == "cp932" and ord(c) == 0x80))
    return text.translate({k: v for k, v in TABLE.targets.items()}), gaiji


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from([b"a", b"\n", b"\xf0\x40", b"\xf0\x41", b"\xf9\xfc", b"\x82\xa0", b"\xf0",
                                  b"\xe3\x81", b"\x82", b"\xee\x80\x80", b"\xa0", b"\x85\x7f"]),
                 max_size=80).map(b"".join),
    ),
    encoding=st.sampled_from(["cp932", "utf-8"]),
    chunk_size=st.integers(min_value=1, max_value=17),
)
def test_random_bytes_never_crash_or_drop_a_gaiji(data: bytes, encoding: str, chunk_size: int) -> None:
    expected = _reference_conversion(data, encoding)
    found: list = []
    out = io.BytesIO()
    try:
        stats = convert_stream(io.BytesIO(data), out, TABLE, encoding=encoding, chunk_size=chunk_size,
                               report=found.append)
    except InputError as exc:
        assert expected is None, f"rejected valid {encoding}: {exc}"
        assert "line" in str(exc) and "column" in str(exc)
        return
    assert expected is not None
    text, gaiji = expected
    assert out.getvalue().decode("utf-8") == text
    assert stats.converted + stats.unmapped == gaiji == stats.converted + len(found)
    original = data.decode(encoding)
    for o in found:  # every report points at the code point it names, in the input
        line = original.split("\n")[o.line - 1]
        assert line[o.column - 1] == code_char(o.unicode)


def test_incremental_decoder_reports_offsets_within_joined_buffers() -> None:
    # the error position of an incremental decoder counts bytes kept from the previous chunk
    dec = codecs.getincrementaldecoder("cp932")()
    dec.decode(b"\x82")
    with pytest.raises(UnicodeDecodeError) as info:
        dec.decode(b"\x7f")
    assert info.value.object == b"\x82\x7f" and info.value.start == 0


@pytest.mark.slow
def test_memory_stays_flat_on_a_large_file(tmp_path) -> None:
    import tracemalloc

    line = "00001,山田\ue000太郎,東京都千代田区霞が関一丁目二番三号,備考なし,\ue003\r\n".encode("cp932")
    src = tmp_path / "big.csv"
    src.write_bytes(line * 200_000)  # ~14 MB
    size = src.stat().st_size
    tracemalloc.start()
    try:
        result = convert_files([src], TABLE, output=tmp_path / "out.csv", encoding="cp932",
                               chunk_size=256 * 1024, keep_first=5)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.converted == 200_000 and result.unmapped == 200_000
    assert len(result.first_unmapped) == 5
    assert peak < size / 3, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB file"


def test_targets_that_would_break_the_data_are_refused(decided_set, reference, tmp_path) -> None:
    mapping = tmp_path / "m.csv"
    export_mapping(decided_set.path, mapping, reference=reference)
    text = mapping.read_bytes().decode("utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(text.replace(",劎,", ',"劎,""",', 1).encode("utf-8"))
    with pytest.raises(ContractError, match=r"U\+002C, U\+0022.*structure of the data"):
        load_conversion_table(bad, source="EUDC.TTE")


def test_cli_out_dir_and_usage_errors(decided_set, reference, tmp_path) -> None:
    mapping = tmp_path / "m.xml"
    export_mapping(decided_set.path, mapping, reference=reference)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes("x\ue000\n".encode("cp932"))
    b.write_bytes("y\ue001\n".encode("utf-8"))
    runner = CliRunner()
    res = runner.invoke(cli, ["convert", str(a), str(b), "-m", str(mapping), "--source", "EUDC.TTE",
                              "--out-dir", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "b.csv").read_bytes().decode("utf-8") == "y" + decided_set.expected["g2"] + "\n"
    res = runner.invoke(cli, ["convert", str(a), "-m", str(mapping)])
    assert res.exit_code == 2 and "either -o OUTPUT" in res.output
    res = runner.invoke(cli, ["convert", str(a), str(b), "-m", str(mapping), "--source", "EUDC.TTE",
                              "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "-o takes one input file" in res.output


@pytest.mark.parametrize("name", ["m.csv", "m.tsv"])
def test_round_trip_through_a_cp932_mapping_table(tmp_path, reference, name) -> None:
    from tests.export.conftest import record_reviews, write_set

    glyphs = [("c1", "EUDC.TTE", "U+E000", ("two", "MJ006353", "字形一致")),   # 串, no IVS
              ("c2", "EUDC.TTE", "U+E001", ("auto", "MJ006399", "字形一致")),  # 乘
              ("c3", "EUDC.TTE", "U+E002", ("two", None, "該当なし"))]
    folder = write_set(tmp_path / "set", glyphs)
    record_reviews(folder, reference, glyphs)
    mapping = tmp_path / name
    export_mapping(folder, mapping, reference=reference, encoding="cp932")
    mapping.read_bytes().decode("cp932")  # really CP932
    runner = CliRunner()
    assert runner.invoke(cli, ["validate", str(mapping)]).exit_code == 1  # not UTF-8
    assert runner.invoke(cli, ["validate", str(mapping), "--encoding", "cp932"]).exit_code == 0
    data = tmp_path / "d.txt"
    data.write_bytes("\ue000田,\ue001子,\ue002\n".encode("cp932"))
    out = tmp_path / "o.txt"
    res = runner.invoke(cli, ["convert", str(data), "-m", str(mapping), "-o", str(out), "-q"])
    assert res.exit_code == 1 and "pass --mapping-encoding cp932" in res.output, res.output
    assert not out.exists()
    common = ["convert", str(data), "-m", str(mapping), "--mapping-encoding", "cp932", "-o", str(out), "-q"]
    res = runner.invoke(cli, common)
    assert res.exit_code == 1  # 該当なし stays private-use and is reported
    assert out.read_bytes().decode("utf-8") == "串田,乘子,\ue002\n"
    assert runner.invoke(cli, [*common, "--fallback", "--allow-unmapped"]).exit_code == 0
    fallbacks = [choose_fallback(reference.record(mj)).char for mj in ("MJ006353", "MJ006399")]
    assert out.read_bytes().decode("utf-8") == f"{fallbacks[0]}田,{fallbacks[1]}子,\ue002\n"


def test_progress_prints_the_end_of_a_run_once(capsys) -> None:
    from gaiji.progress import stderr_progress

    report = stderr_progress()
    report(5, 10, "convert")
    report(10, 10, "convert")
    report(10, 10, "convert")  # convert reports the last chunk, then the whole run
    report(3, 3, "report")
    assert capsys.readouterr().err.count("convert: 10/10 (100%)") == 1
