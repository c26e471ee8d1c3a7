"""Missing or wrong sources give clear errors; builds are atomic and idempotent."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.errors import ReferenceMissing, SourceError
from gaiji.fsutil import atomic_directory
from gaiji.reference import build_reference, load_reference
from gaiji.reference.fetch import find_font, find_moji_db


def test_missing_font_says_how_to_get_it(tmp_path):
    with pytest.raises(ReferenceMissing) as info:
        find_font(tmp_path / "nope.ttf")
    assert "apt-get install fonts-ipamj-mincho" in str(info.value)


def test_wrong_font_version_is_refused(tmp_path):
    fake = tmp_path / "ipamjm.ttf"
    fake.write_bytes(b"\x00\x01\x00\x00not really a font")
    with pytest.raises(SourceError) as info:
        find_font(fake)
    assert "pinned" in str(info.value) and "--allow-unpinned" in str(info.value)
    assert "Delete it" not in str(info.value) and "Point --font" in str(info.value)  # the user's file


def test_corrupt_cached_moji_db_is_refetched_or_refused(tmp_path, monkeypatch):
    bad = tmp_path / "moji.db"
    bad.write_bytes(b"SQLite format 3\x00 truncated")
    monkeypatch.setenv("GAIJI_MOJI_DB", str(bad))
    with pytest.raises(SourceError) as info:
        find_moji_db()
    assert "Delete it" not in str(info.value) and "Point $GAIJI_MOJI_DB" in str(info.value)


def test_missing_npm_is_explained(tmp_path, monkeypatch):
    monkeypatch.delenv("GAIJI_MOJI_DB", raising=False)
    monkeypatch.setenv("GAIJI_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm here
    with pytest.raises(ReferenceMissing) as info:
        find_moji_db()
    assert "npm" in str(info.value)


def test_load_without_build_explains(tmp_path):
    with pytest.raises(ReferenceMissing) as info:
        load_reference(tmp_path)
    assert "gaiji reference build" in str(info.value)


def test_interrupted_build_leaves_nothing(tmp_path):
    target = tmp_path / "reference"
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "rasters.u8").write_bytes(b"partial")
        raise RuntimeError("killed mid-build")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_interrupted_rebuild_keeps_previous(tmp_path):
    target = tmp_path / "reference"
    with atomic_directory(target) as tmp:
        (tmp / "provenance.json").write_text("{}")
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "provenance.json").write_text("half")
        raise RuntimeError("disk full")
    assert (target / "provenance.json").read_text() == "{}"


def test_rebuild_with_unchanged_sources_is_a_noop(reference):
    before = (reference.home / "provenance.json").read_text()
    summary = build_reference(reference.home.parent)
    assert summary.skipped
    assert summary.total_rows == 59161
    assert (reference.home / "provenance.json").read_text() == before
    assert json.loads(before)["counts"]["glyphs_in_font"] == 59161


def test_cli_search_and_show(reference):
    runner = CliRunner()
    result = runner.invoke(cli, ["reference", "search", "J+FA66"])
    assert result.exit_code == 0, result.output
    assert "MJ030302" in result.output
    result = runner.invoke(cli, ["reference", "show", "髙", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data[0]["mj"] == "MJ028902" and data[0]["juki"] == "J+9AD9"
    result = runner.invoke(cli, ["reference", "show", "MJ999999"])
    assert result.exit_code == 1 and "nothing in the MJ table" in result.output


def test_cli_empty_query_is_a_usage_error_and_a_miss_says_what_to_try(reference):
    runner = CliRunner()
    for command in ("search", "show"):
        result = runner.invoke(cli, ["reference", command, "  "])
        assert result.exit_code == 2 and "the query is empty" in result.output, result.output
        result = runner.invoke(cli, ["reference", command, "U+ZZZZ"])
        assert result.exit_code == 1 and "MJ + 6 digits" in result.output, result.output
