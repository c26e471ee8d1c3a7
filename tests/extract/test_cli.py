"""`gaiji extract` in-process with CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gaiji.cli import cli

from .makers import build_font


def test_extract_prints_summary_and_json(tmp_path):
    font = build_font(
        tmp_path / "EUDC.TTE",
        {0xE000: ([(100, 0, 500, 400)], []), 0xE001: ([(0, 0, 900, 700)], [])},
    )
    ledger = tmp_path / "l.csv"
    ledger.write_text("code,reading,usage\nF040,つじ,2\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "extract",
            str(font),
            str(ledger),
            "-o",
            str(tmp_path / "set"),
            "--px",
            "16",
            "--json",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (
        data["glyph_count"] == 2 and data["ok"] and data["glyphs_without_ledger"] == ["EUDC-E001"]
    )
    assert "2 glyphs" in result.stderr
    assert (tmp_path / "set" / "glyphs" / "EUDC-E000.png").is_file()


def test_bad_source_exit_status_1_but_set_written(tmp_path):
    font = build_font(tmp_path / "EUDC.TTE", {0xE000: ([(100, 0, 500, 400)], [])})
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"\x00\x01\x00\x00" + b"\xff" * 50)
    result = CliRunner().invoke(
        cli, ["extract", str(junk), str(font), "-o", str(tmp_path / "set"), "-q"]
    )
    assert result.exit_code == 1
    assert "junk.ttf" in result.stderr and "holds everything else" in result.stderr
    assert (tmp_path / "set" / "glyphs.csv").read_text(encoding="utf-8").count("\n") == 2


def test_strict_and_bad_codes_are_clean_errors(tmp_path):
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"\x00\x01\x00\x00")
    result = CliRunner().invoke(
        cli, ["extract", str(junk), "-o", str(tmp_path / "set"), "--strict"]
    )
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(
        cli, ["extract", str(junk), "-o", str(tmp_path / "set"), "--codes", "zz"]
    )
    assert result.exit_code == 2 and "code range" in result.output  # a usage error
    assert not (tmp_path / "set").exists()


def test_help_has_example():
    result = CliRunner().invoke(cli, ["extract", "--help"])
    assert (
        result.exit_code == 0 and "Example:" in result.output and "gaiji extract" in result.output
    )


def test_unknown_encoding_is_a_usage_error_and_writes_nothing(tmp_path):
    font = build_font(tmp_path / "EUDC.TTE", {0xE000: ([(100, 0, 500, 400)], [])})
    result = CliRunner().invoke(
        cli, ["extract", str(font), "-o", str(tmp_path / "set"), "--encoding", "bogus", "-q"]
    )
    assert result.exit_code == 2 and "'bogus' is not an encoding" in result.output
    assert not (tmp_path / "set").exists()


def test_unreadable_ledger_is_not_reported_as_no_ledger(tmp_path):
    font = build_font(tmp_path / "EUDC.TTE", {0xE000: ([(100, 0, 500, 400)], [])})
    ledger = tmp_path / "l.csv"
    ledger.write_bytes("code,reading\nF040,つじ\n".encode("cp932"))
    result = CliRunner().invoke(
        cli, ["extract", str(font), str(ledger), "-o", str(tmp_path / "set"), "--encoding", "utf-8", "-q"]
    )
    assert result.exit_code == 1
    assert "no ledger given" not in result.stderr
    assert "ledger could not be read" in result.stderr and "leave out --encoding" in result.stderr


def test_duplicate_ids_name_the_first_path_and_the_list_is_capped(tmp_path):
    glyphs = {0xE000 + i: ([(100, 0, 500, 400 + 10 * i)], []) for i in range(30)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = build_font(tmp_path / "a" / "EUDC.TTE", glyphs)
    second = build_font(tmp_path / "b" / "EUDC.TTE", glyphs)
    result = CliRunner().invoke(
        cli, ["extract", str(first), str(second), "-o", str(tmp_path / "set"), "-q"]
    )
    assert result.exit_code == 1
    assert f"already used by {first}" in result.stderr
    assert "more (see --json)" in result.stderr
    assert result.stderr.count("problem:") < 30
    assert "30 glyph(s)/file(s) could not be read or were left out" in result.stderr
