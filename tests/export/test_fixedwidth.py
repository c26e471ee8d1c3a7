"""Issue 13: fixed-width records converted field by field, byte lengths kept, overflow reported."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.errors import InputError
from gaiji.export.convert import ConversionTable
from gaiji.export.fixedwidth import convert_fixed_width, read_layout

TABLE = ConversionTable(targets={0xE000: "辻\U000e0101", 0xE001: "髙"})
LAYOUT = """
record_length = 30
line_end = "crlf"
[[field]]
name = "number"
offset = 0
length = 4
encoding = "ascii"
[[field]]
name = "name"
offset = 4
length = 12
encoding = "cp932"
[[field]]
name = "raw"
offset = 16
length = 4
encoding = "binary"
[[field]]
name = "kana"
offset = 22
length = 8
encoding = "cp932"
"""


def _report_rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _record(number: str, name: str, raw: bytes, kana: str) -> bytes:
    def fixed(text: str, n: int) -> bytes:
        b = text.encode("cp932")
        return b + b" " * (n - len(b))
    rec = number.encode() + fixed(name, 12) + raw + b"##" + fixed(kana, 8)
    assert len(rec) == 30
    return rec + b"\r\n"


def test_fields_convert_and_every_record_keeps_its_byte_length(tmp_path):
    layout_path = tmp_path / "l.toml"
    layout_path.write_text(LAYOUT, encoding="utf-8")
    data = tmp_path / "d.dat"
    data.write_bytes(_record("0001", "\ue000田", b"\x00\n\x0d\xff", "ﾂｼﾞﾀ") + _record("0002", "山\ue001", b"\x01\x02\x03\x04", "ﾔﾏ"))
    stats = convert_fixed_width(data, read_layout(layout_path), TABLE, output=tmp_path / "o.dat")
    out = (tmp_path / "o.dat").read_bytes()
    records = out.split(b"\r\n")[:-1]
    assert [len(r) for r in records] == [30, 30]
    assert records[0][4:16] == "辻\U000e0101田".encode("utf-8") + b" " * (12 - 10)
    assert records[0][16:20] == b"\x00\n\x0d\xff" and records[0][20:22] == b"##"  # binary and gap kept
    assert records[1][4:16].decode("utf-8").rstrip() == "山髙"
    # half-width kana are 3 bytes in UTF-8: ﾂｼﾞﾀ (4 chars) needs 12 bytes in an 8-byte field
    assert records[0][22:30].decode("utf-8") == "ﾂｼ" + "  "
    assert stats.converted == 2 and stats.overflows == 1
    rows = _report_rows(tmp_path / "o.dat.unmapped.csv")
    assert rows[0]["line"] == "1" and rows[0]["column"] == "23" and "needs 12 bytes" in rows[0]["reason"]
    assert "ﾂｼﾞﾀ" in rows[0]["reason"]  # the full text is not lost


def test_a_selector_is_never_separated_from_its_character(tmp_path):
    layout_path = tmp_path / "l.toml"
    layout_path.write_text(LAYOUT, encoding="utf-8")
    data = tmp_path / "d.dat"
    data.write_bytes(_record("0001", "山山\ue000", b"abcd", ""))  # 山山 (6 bytes) + 辻+VS (7 bytes) > 12
    stats = convert_fixed_width(data, read_layout(layout_path), TABLE, output=tmp_path / "o.dat")
    field = (tmp_path / "o.dat").read_bytes()[4:16]
    assert field == "山山".encode() + b" " * 6 and stats.overflows == 1


def test_unmapped_gaiji_and_bad_bytes_are_reported_with_record_and_offset(tmp_path):
    layout_path = tmp_path / "l.toml"
    layout_path.write_text(LAYOUT, encoding="utf-8")
    data = tmp_path / "d.dat"
    rec = bytearray(_record("0001", "\ue002", b"abcd", "ｱ"))
    rec[23] = 0x85  # a lone lead byte in the kana field
    data.write_bytes(bytes(rec))
    with pytest.raises(InputError, match="record 1, field 'kana'.*--errors report"):
        convert_fixed_width(data, read_layout(layout_path), TABLE, output=tmp_path / "o.dat")
    assert not (tmp_path / "o.dat").exists()
    stats = convert_fixed_width(data, read_layout(layout_path), TABLE, output=tmp_path / "o.dat", errors="report")
    rows = _report_rows(tmp_path / "o.dat.unmapped.csv")
    assert [(r["line"], r["column"], r["code"]) for r in rows] == [("1", "5", "F042"), ("1", "23", "bytes 85")]
    assert stats.unmapped == 1 and stats.bad == 1


@pytest.mark.parametrize("text,message", [
    ("record_length = 10\n[[field]]\nname='a'\noffset=5\nlength=6\n", "ends after the record"),
    ("record_length = 10\n[[field]]\nname='a'\noffset=0\nlength=6\n[[field]]\nname='b'\noffset=5\nlength=2\n", "overlap"),
    ("record_length = 10\n", "no \\[\\[field\\]\\]"),
    ("record_length = 10\n[[field]]\nname='a'\noffset=0\nlength=6\nencoding='ebcdic'\n", "encoding must be"),
    ("record_length = [\n", "not a TOML"),
])
def test_bad_layouts_say_what_is_wrong(tmp_path, text, message):
    p = tmp_path / "l.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_layout(p)


def test_record_of_the_wrong_length_is_refused(tmp_path):
    layout_path = tmp_path / "l.toml"
    layout_path.write_text(LAYOUT, encoding="utf-8")
    data = tmp_path / "d.dat"
    data.write_bytes(_record("0001", "a", b"abcd", "b")[:-3] + b"\r\n")
    with pytest.raises(InputError, match="record 1 .*record_length"):
        convert_fixed_width(data, read_layout(layout_path), TABLE, output=tmp_path / "o.dat")


def test_cli_layout(tmp_path):
    from tests.export.test_convert_legacy import _mapping

    m = _mapping(tmp_path / "m.csv", [("EUDC.TTE", "U+E000", "g1", "辻", "U+8FBB")])
    layout_path = tmp_path / "l.toml"
    layout_path.write_text(LAYOUT, encoding="utf-8")
    data = tmp_path / "d.dat"
    data.write_bytes(_record("0001", "\ue000田", b"abcd", "ｱ"))
    res = CliRunner().invoke(cli, ["convert", str(data), "-m", str(m), "-o", str(tmp_path / "o.dat"),
                                   "--layout", str(layout_path), "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o.dat").read_bytes()[4:16] == "辻田".encode() + b" " * 6
