"""Issue 13: convert never guesses the encoding, can report bad bytes and go on, treats every
input on its own, and reads data keyed on a bitmap font's JIS codes."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.errors import InputError
from gaiji.export.columns import COLUMN_NAMES
from gaiji.export.convert import (
    ConversionTable,
    ConvertFailed,
    convert_files,
    convert_stream,
    load_conversion_table,
)

TABLE = ConversionTable(targets={0xE000: "辻\U000e0101", 0xE05E: "髙"})


def _mapping(path, rows):
    """A small valid mapping table: (source, code, gaiji_id, char, ucs)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMN_NAMES))
        w.writeheader()
        for source, code, gid, char, ucs in rows:
            # mj is schema-checked only (no reference here): any well-formed number will do
            w.writerow({"source": source, "code": code, "gaiji_id": gid, "char": char, "ucs": ucs,
                        "mj": f"MJ{int(ucs[2:], 16):06d}"[:8], "use_fallback": "0", "auto_accepted": "0",  # noqa: FURB166 - the prefix is U+, not 0x
                        "identification_class": "字形一致", "status": "final", "decided_by": "sato"})
    return path


def _convert(data: bytes, **kw):
    out, found = io.BytesIO(), []
    stats = convert_stream(io.BytesIO(data), out, TABLE, report=found.append, **kw)
    return out.getvalue(), found, stats


# ------------------------------------------------------------ detection never guesses


def test_short_cp932_that_is_also_valid_utf8_is_refused_not_guessed(tmp_path):
    data = "ﾐｽ".encode("cp932") + b"\xf0\x9f" + "ｱｲ,1\r\n".encode("cp932")  # ﾐｽ, gaiji F09F, ｱｲ
    assert data.decode("utf-8") == "н\U0001fc72,1\r\n"  # the trap: valid UTF-8 too
    src = tmp_path / "d.csv"
    src.write_bytes(data)
    with pytest.raises(InputError, match="cannot tell the encoding.*--encoding cp932"):
        convert_files([src], TABLE, output=tmp_path / "o.csv")
    assert not (tmp_path / "o.csv").exists()
    convert_files([src], TABLE, output=tmp_path / "o.csv", encoding="cp932")
    assert (tmp_path / "o.csv").read_bytes().decode("utf-8") == "ﾐｽ髙ｱｲ,1\r\n"


def test_half_width_kana_only_cp932_is_refused_in_auto(tmp_path):
    data = "ﾐｽ ﾃｨ\n".encode("cp932")
    assert data.decode("utf-8") == "н è\n"
    with pytest.raises(InputError, match="cannot tell the encoding"):
        _convert(data)


def test_clearly_japanese_utf8_and_clearly_cp932_are_detected():
    out, _, stats = _convert("山田太郎様方\ue000\n".encode("utf-8"))
    assert stats.encoding == "utf-8" and out.decode("utf-8") == "山田太郎様方辻\U000e0101\n"
    out, _, stats = _convert("氏名,よみ\n山田\ue000郎,やまだ\n".encode("cp932"))
    assert stats.encoding == "cp932" and "山田辻\U000e0101郎" in out.decode("utf-8")


def test_detection_waits_for_enough_bytes_across_small_chunks():
    data = "山田太郎様方\ue000\n".encode("utf-8")
    whole, _, _ = _convert(data)
    for size in (1, 2, 5):
        assert _convert(data, chunk_size=size)[0] == whole


# ------------------------------------------------------------ --errors strict | report


def test_strict_names_line_column_and_offers_report():
    with pytest.raises(InputError, match=r"line 2, column 3: bytes 85 .*--errors report"):
        _convert(b"ok\r\nxy\x85\x7f", encoding="cp932")


def test_report_keeps_going_and_lists_each_bad_byte_run():
    data = "山田,\ue000\n".encode("cp932") + b"ab\x85\x7f\x85\x7fc,\xa0\n" + "次\n".encode("cp932")
    out, found, stats = _convert(data, encoding="cp932", errors="report")
    text = out.decode("utf-8")
    bad = [(o.line, o.column, o.code) for o in found if o.code.startswith("bytes")]
    assert bad == [(2, 3, "bytes 85"), (2, 5, "bytes 85")]
    assert [(o.line, o.column, o.code) for o in found if o.code.startswith("byte ")] == [(2, 9, "byte A0")]
    assert text.startswith("山田,辻\U000e0101\nab\ufffd\x7f\ufffd\x7fc,") and text.endswith("次\n")
    assert stats.bad_bytes == 2 and stats.converted == 1


def test_report_with_keep_leaves_the_original_bytes():
    data = b"ab\x85\x85c\n"
    out, found, _ = _convert(data, encoding="cp932", errors="report", bad_bytes="keep")
    assert out == b"ab\x85\x85c\n"
    assert [(o.line, o.column, o.code) for o in found] == [(1, 3, "bytes 85 85")]


def test_report_utf8_bad_byte_positions_across_chunks():
    data = "一\n二三".encode() + b"\xff" + "四\n".encode()
    whole = _convert(data, encoding="utf-8", errors="report")
    assert [(o.line, o.column) for o in whole[1]] == [(2, 3)]
    for size in (1, 2, 3, 4):
        part = _convert(data, encoding="utf-8", errors="report", chunk_size=size)
        assert part[0] == whole[0] and [(o.line, o.column) for o in part[1]] == [(2, 3)]


# ------------------------------------------------------------ several inputs


def test_a_failing_input_writes_nothing_under_its_name_and_every_input_is_reported(tmp_path):
    good, bad = tmp_path / "a.csv", tmp_path / "b.csv"
    good.write_bytes("x\ue000,\ue001\n".encode("cp932"))  # one mapped, one unmapped gaiji
    bad.write_bytes(b"fine\n\x85\x7f")
    out = tmp_path / "out"
    with pytest.raises(ConvertFailed) as info:
        convert_files([good, bad], TABLE, out_dir=out, encoding="cp932")
    result = info.value.result
    assert (out / "a.csv").read_text(encoding="utf-8") == "x辻\U000e0101,\ue001\n"
    assert not (out / "b.csv").exists() and [f.error != "" for f in result.files] == [False, True]
    with open(out / "unmapped.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"].endswith("a.csv"), r["code"]) for r in rows[:1]] == [(True, "F041")]
    assert rows[1]["file"].endswith("b.csv") and "nothing written" in rows[1]["reason"]
    assert "1 of 2 input(s) not converted" in str(info.value) and "a.csv" in str(info.value)


def test_cli_several_inputs_one_bad(tmp_path):
    m = _mapping(tmp_path / "m.csv", [("EUDC.TTE", "U+E000", "g1", "辻", "U+8FBB")])
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes("x\ue000\n".encode("cp932"))
    b.write_bytes(b"\x85\x7f")
    res = CliRunner().invoke(cli, ["convert", str(a), str(b), "-m", str(m), "--encoding", "cp932",
                                   "--out-dir", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 1
    assert "NOT converted" in res.output and (tmp_path / "o" / "a.csv").read_text(encoding="utf-8") == "x辻\n"
    assert not (tmp_path / "o" / "b.csv").exists() and (tmp_path / "o" / "unmapped.csv").exists()


# ------------------------------------------------------------ a bitmap font's own code space


def test_source_bitmap_font_codes_are_found_in_cp932_and_euc_jp_data(tmp_path):
    m = _mapping(tmp_path / "m.csv", [("vendor16.bdf", "0x7521", "vendor16-7521", "辻", "U+8FBB"),
                                      ("vendor16.bdf", "0x7621", "vendor16-7621", "髙", "U+9AD9"),
                                      ("EUDC.TTE", "U+E000", "EUDC-E000", "串", "U+4E32")])
    table = load_conversion_table(m, source="fonts/vendor16.bdf")
    assert table.targets == {0xE000: "辻", 0xE05E: "髙"} and table.not_addressable == []
    cp932 = tmp_path / "c.txt"
    cp932.write_bytes("山田".encode("cp932") + b"\xf0\x40," + b"\xf0\x9f\n")
    convert_files([cp932], table, output=tmp_path / "c.out", encoding="cp932")
    assert (tmp_path / "c.out").read_text(encoding="utf-8") == "山田辻,髙\n"
    euc = tmp_path / "e.txt"
    euc.write_bytes("山田".encode("euc_jp") + b"\xf5\xa1," + b"\xf6\xa1\n")
    convert_files([euc], table, output=tmp_path / "e.out", encoding="euc-jp")
    assert (tmp_path / "e.out").read_text(encoding="utf-8") == "山田辻,髙\n"
    # without --source the JIS codes are not guessed to be gaiji codes
    assert load_conversion_table(m).not_addressable == ["0x7521", "0x7621"]


def test_euc_jp_unmapped_user_area_code_is_reported_in_its_own_bytes(tmp_path):
    out, found, _ = _convert(b"a\xf5\xa2\n", encoding="euc-jp")
    assert out.decode("utf-8") == "a\ue001\n" and [(o.code, o.column) for o in found] == [("F5A2", 2)]


# ------------------------------------------------------------ positions in the report


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "\n", "\r\n", "山", "ﾐ", "\ue000", "\ue002", "\ue757", ",", "𠮷"]), max_size=60),
       st.sampled_from(["cp932", "utf-8"]), st.integers(1, 23))
def test_reported_line_and_column_match_a_naive_count(pieces, encoding, chunk):
    text = "".join(pieces)
    if encoding == "cp932" and "𠮷" in text:
        text = text.replace("𠮷", "吉")
    expected = []
    line, col = 1, 0
    for ch in text:
        col += 1
        if ch in "\ue002\ue757":  # not in TABLE: reported
            expected.append((line, col))
        if ch == "\n":
            line, col = line + 1, 0
    _, found, _ = _convert(text.encode(encoding), encoding=encoding, chunk_size=chunk)
    assert [(o.line, o.column) for o in found] == expected
