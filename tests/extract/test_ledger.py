"""Ledger CSVs in each encoding and column naming, joined on id or code."""

from __future__ import annotations

import pytest

from gaiji.errors import InputError
from gaiji.extract.ledger import code_number, parse_usage, read_ledger

JP = '外字コード,よみ,使用件数,備考\r\nF040,つじ・ツジ,"1,234",旧字体\r\nF041,ﾀｶ/たか,１２,\r\n'
EN = "ID,Reading,Usage,Note\nEUDC-E000,tsuji,3,old form\n"


@pytest.mark.parametrize(
    "encoding,data",
    [
        ("utf-8", JP.encode("utf-8")),
        ("utf-8-sig", b"\xef\xbb\xbf" + JP.encode("utf-8")),
        ("cp932", JP.encode("cp932")),
    ],
)
def test_encodings_are_detected(tmp_path, encoding, data):
    path = tmp_path / "ledger.csv"
    path.write_bytes(data)
    ledger = read_ledger(path)
    assert ledger.encoding == encoding
    assert [(r.code, r.reading, r.usage_count, r.note) for r in ledger.rows] == [
        ("F040", "つじ・ツジ", "1234", "旧字体"),
        ("F041", "ﾀｶ/たか", "12", ""),
    ]
    assert ledger.columns == {
        "code": "外字コード",
        "reading": "よみ",
        "usage_count": "使用件数",
        "note": "備考",
    }


def test_english_columns_and_forced_encoding(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(EN.encode("utf-8"))
    ledger = read_ledger(path, encoding="utf-8")
    assert ledger.rows[0].gaiji_id == "EUDC-E000" and ledger.rows[0].note == "old form"


def test_undecodable_text_asks_for_encoding(tmp_path):
    path = tmp_path / "odd.csv"
    # 0x81 0x20: a CP932 lead byte with an impossible trail byte, and not UTF-8 either
    path.write_bytes(b"code,reading\nF040," + b"\x81\x20\n")
    with pytest.raises(InputError, match=r"odd\.csv.*--encoding"):
        read_ledger(path)
    assert read_ledger(path, encoding="latin-1").rows[0].code == "F040"


def test_wrong_forced_encoding_is_clear(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(JP.encode("cp932"))
    with pytest.raises(InputError, match="not valid utf-8.*--encoding=cp932"):
        read_ledger(path, encoding="utf-8")
    with pytest.raises(InputError, match="not an encoding"):
        read_ledger(path, encoding="no-such-codec")


def test_unjoinable_ledger_lists_its_columns(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("name,よみ\n辻,つじ\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no id or code column among \['name', 'よみ'\]"):
        read_ledger(path)


def test_tab_separated_and_bad_usage_warns(tmp_path):
    path = tmp_path / "l.tsv"
    path.write_text("コード\tよみ\t使用件数\nE000\tつじ\tたくさん\n", encoding="utf-8")
    ledger = read_ledger(path)
    assert ledger.rows[0].usage_count == "" and "たくさん" in ledger.warnings[0]


def test_code_and_usage_parsing():
    assert (
        code_number("f9fc") == 0xF9FC
        and code_number("&#xE001;") == 0xE001
        and code_number("") is None
    )
    assert parse_usage("0") == 0
    with pytest.raises(ValueError):
        parse_usage("-3")


def test_excel_unicode_text_export_utf16_tsv(tmp_path):
    path = (
        tmp_path / "外字台帳.txt"
    )  # Excel's "Unicode テキスト": UTF-16 LE with BOM, tab-separated
    path.write_bytes("コード\tよみ\t使用件数\r\nF040\tつじ\t5\r\n".encode("utf-16"))
    ledger = read_ledger(path)
    assert (
        ledger.encoding == "utf-16"
        and ledger.rows[0].reading == "つじ"
        and ledger.rows[0].usage_count == "5"
    )


def test_full_width_codes_from_a_spreadsheet_join(tmp_path):
    from click.testing import CliRunner

    from gaiji.cli import cli

    from .makers import build_font

    assert code_number("Ｆ０４０") == 0xF040 and code_number("Ｕ＋Ｅ００１") == 0xE001
    font = build_font(tmp_path / "EUDC.TTE", {0xE000: ([(100, 0, 500, 400)], []),
                                             0xE001: ([(0, 0, 900, 700)], [])})
    ledger = tmp_path / "l.csv"
    ledger.write_text("コード,よみ\nＦ０４０,つじ\nＵ＋Ｅ００１,さき\n", encoding="cp932")
    out = tmp_path / "set"
    result = CliRunner().invoke(cli, ["extract", str(font), str(ledger), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    text = (out / "glyphs.csv").read_text(encoding="utf-8")
    assert "EUDC-E000,EUDC.TTE,U+E000" in text and ",つじ," in text and ",さき," in text


def test_radical_and_stroke_columns_reach_the_set_as_written(tmp_path):
    """A ledger's 部首 / 画数 travel into glyphs.csv (columns ``radical``, ``strokes``) for the
    matcher to read as hints; a set whose ledger has none keeps the header it always had."""
    from gaiji.extract import extract_gaiji_set, read_gaiji_set
    from gaiji.extract.gaijiset import COLUMNS

    from .makers import build_font

    font = build_font(tmp_path / "EUDC.TTE", {0xE000: ([(100, 0, 500, 400)], []),
                                             0xE001: ([(0, 0, 900, 700)], [])})
    ledger = tmp_path / "l.csv"
    ledger.write_text("コード,よみ,部首,総画数\nF040,すえ,木,5画\nF041,たか,189,１０\n", encoding="cp932")
    assert [(r.radical, r.strokes) for r in read_ledger(ledger).rows] == [("木", "5画"), ("189", "１０")]
    extract_gaiji_set([font, ledger], tmp_path / "set")
    header = (tmp_path / "set" / "glyphs.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [*COLUMNS, "radical", "strokes"]
    extras = {r.gaiji_id: r.extra for r in read_gaiji_set(tmp_path / "set").records}
    assert extras == {"EUDC-E000": {"radical": "木", "strokes": "5画"}, "EUDC-E001": {"radical": "189", "strokes": "１０"}}
    ledger.write_text("コード,よみ\nF040,すえ\n", encoding="cp932")
    extract_gaiji_set([font, ledger], tmp_path / "plain")
    header = (tmp_path / "plain" / "glyphs.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == list(COLUMNS)
