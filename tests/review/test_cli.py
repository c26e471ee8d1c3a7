"""`gaiji review log|sheet|add-reviewer|serve` — in-process with CliRunner, and a killed
server process that must not lose an acknowledged decision."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.review.sheet import find_chromium
from gaiji.review.store import ReviewStore

pytestmark = pytest.mark.reference
REPO = Path(__file__).resolve().parents[2]


def decided_set(gaiji_set: Path) -> ReviewStore:
    store = ReviewStore.open(gaiji_set)
    store.record_decision("E001", "sato", {"mj": "MJ025760", "char": "辻󠄂", "ucs": "U+8FBB", "ivs": "U+E0102"},
                          "字形一致", comment="<img src=x onerror=alert(1)>")
    store.record_decision("E001", "suzuki", {"mj": "MJ025760", "char": "辻󠄂", "ucs": "U+8FBB", "ivs": "U+E0102"},
                          "字形一致")
    store.record_decision("E005", "sato", None, "該当なし")
    return store


def test_log_prints_and_verifies(gaiji_set: Path) -> None:
    decided_set(gaiji_set)
    runner = CliRunner()
    result = runner.invoke(cli, ["review", "log", str(gaiji_set), "--verify"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line[:1].isdigit()]
    assert len(lines) == 3 and lines[0].split("\t")[4] == "sato" and "MJ025760" in lines[0]
    as_json = runner.invoke(cli, ["review", "log", str(gaiji_set), "--json", "--gaiji", "E005"])
    (event,) = [json.loads(line) for line in as_json.output.splitlines() if line.startswith("{")]
    assert event["identification_class"] == "該当なし" and event["mj"] is None

    conn = sqlite3.connect(gaiji_set / "review.sqlite")
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute("UPDATE events SET reviewer = 'tanaka' WHERE seq = 2")
    conn.commit()
    broken = runner.invoke(cli, ["review", "log", str(gaiji_set), "--verify"])
    assert broken.exit_code == 1
    assert "does not verify" in broken.output and "event 2" in broken.output


def test_log_of_a_set_never_reviewed(gaiji_set: Path) -> None:
    result = CliRunner().invoke(cli, ["review", "log", str(gaiji_set)])
    assert result.exit_code == 1 and "review serve" in result.output
    assert not (gaiji_set / "review.sqlite").exists()


def test_sheet_html(gaiji_set: Path, tmp_path: Path) -> None:
    store = decided_set(gaiji_set)
    out = tmp_path / "sheet.html"
    result = CliRunner().invoke(cli, ["review", "sheet", str(gaiji_set), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "MJ025760" in html and "suzuki" in html
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror" in html
    assert store.verify_chain().head_hash in html
    assert html.count("data:image/png;base64,") == 3  # gaiji, MJ glyph, overlay: self-contained
    assert "http://" not in html and "https://" not in html
    # E005 (該当なし by one reviewer) awaits its check; with the other pending gaiji it is listed
    assert f"Not yet final ({len(store.open_items())})" in html and "E005 (decided)" in html


def test_sheet_refuses_other_formats(gaiji_set: Path, tmp_path: Path) -> None:
    decided_set(gaiji_set)
    result = CliRunner().invoke(cli, ["review", "sheet", str(gaiji_set), "-o", str(tmp_path / "s.docx")])
    assert result.exit_code == 1 and ".html or .pdf" in result.output


@pytest.mark.browser
def test_sheet_pdf(gaiji_set: Path, tmp_path: Path) -> None:
    if find_chromium() is None:
        pytest.fail("chromium is not installed (apt-get install chromium)", pytrace=False)
    decided_set(gaiji_set)
    out = tmp_path / "sheet.pdf"
    result = CliRunner().invoke(cli, ["review", "sheet", str(gaiji_set), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 5000


@pytest.mark.browser
def test_every_sheet_page_carries_its_number_and_the_chain_head(gaiji_set: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    if find_chromium() is None:
        pytest.fail("chromium is not installed (apt-get install chromium)", pytrace=False)
    # 60 more gaiji (the picture of E001), each decided and checked: several pages
    rows = (gaiji_set / "glyphs.csv").read_text(encoding="utf-8").splitlines()
    rows += [f"X{i:03d},EUDC.TTE,U+E{0x100 + i:03X},24,24,つじ,1,,glyphs/E001.png" for i in range(60)]
    (gaiji_set / "glyphs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    store = ReviewStore.open(gaiji_set)
    for i in range(60):
        for who in ("sato", "suzuki"):
            store.record_decision(f"X{i:03d}", who, {"mj": "MJ025760", "char": "辻"}, "字形一致")
    head = store.verify_chain().head_hash
    out = tmp_path / "sheet.pdf"
    result = CliRunner().invoke(cli, ["review", "sheet", str(gaiji_set), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    pages = [page.extract_text() for page in PdfReader(out).pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        assert f"page {number} / {len(pages)}" in text
        assert head in text.replace("\n", "")


def test_sheet_pdf_without_chromium(gaiji_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decided_set(gaiji_set)
    monkeypatch.setenv("GAIJI_CHROMIUM", str(tmp_path / "no-such-browser"))
    result = CliRunner().invoke(cli, ["review", "sheet", str(gaiji_set), "-o", str(tmp_path / "s.pdf")])
    assert result.exit_code == 1 and "apt-get install chromium" in result.output
    assert not (tmp_path / "s.pdf").exists()


PASSWORD = "tsuji-ippon-ten-41"


def test_add_reviewer(gaiji_set: Path) -> None:
    runner = CliRunner()
    on_argv = runner.invoke(cli, ["review", "add-reviewer", str(gaiji_set), "sato", "--password", PASSWORD])
    assert on_argv.exit_code == 2 and "not taken on the command line" in on_argv.output
    assert not (gaiji_set / "reviewers.json").exists()
    for weak in ("short", "12345678", "1234567890", "password123"):
        result = runner.invoke(cli, ["review", "add-reviewer", str(gaiji_set), "sato"], input=f"{weak}\n{weak}\n")
        assert result.exit_code == 1 and ("at least 10" in result.output or "too weak" in result.output), weak
    ok = runner.invoke(cli, ["review", "add-reviewer", str(gaiji_set), "sato", "--admin"],
                       input=f"{PASSWORD}\n{PASSWORD}\n")
    assert ok.exit_code == 0, ok.output
    assert json.loads((gaiji_set / "reviewers.json").read_text())["reviewers"]["sato"]["role"] == "administrator"
    piped = runner.invoke(cli, ["review", "add-reviewer", str(gaiji_set), "suzuki", "--password-stdin"],
                          input=PASSWORD + "-2\n")
    assert piped.exit_code == 0, piped.output
    assert PASSWORD not in (gaiji_set / "reviewers.json").read_text()
    bad_name = runner.invoke(cli, ["review", "add-reviewer", str(gaiji_set), "sato\n12\tforged", "--password-stdin"],
                             input=PASSWORD + "\n")
    assert bad_name.exit_code == 1 and "control or formatting characters" in bad_name.output
    removed = runner.invoke(cli, ["review", "remove-reviewer", str(gaiji_set), "suzuki"])
    assert removed.exit_code == 0
    assert set(json.loads((gaiji_set / "reviewers.json").read_text())["reviewers"]) == {"sato"}
    again = runner.invoke(cli, ["review", "remove-reviewer", str(gaiji_set), "suzuki"])
    assert again.exit_code == 1 and "has no account" in again.output


def test_settings_need_an_administrator(gaiji_set: Path) -> None:
    runner = CliRunner()
    for name, extra in (("sato", ["--admin"]), ("suzuki", [])):
        runner.invoke(cli, ["review", "add-reviewer", str(gaiji_set), name, "--password-stdin", *extra],
                      input=PASSWORD + "\n")
    refused = runner.invoke(cli, ["review", "settings", str(gaiji_set), "--one-person", "--by", "suzuki"])
    assert refused.exit_code == 1 and "not an administrator" in refused.output and "sato" in refused.output
    done = runner.invoke(cli, ["review", "settings", str(gaiji_set), "--one-person", "--by", "sato"])
    assert done.exit_code == 0 and "two-person rule: off" in done.output
    (setting,) = [e for e in ReviewStore.open(gaiji_set).events() if e.kind == "setting"]
    assert setting.reviewer == "sato" and setting.body == {"two_person": False, "role": "administrator"}


def test_log_sheet_and_add_reviewer_refuse_a_folder_that_is_not_a_set(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (["log", str(tmp_path)], ["sheet", str(tmp_path), "-o", str(tmp_path / "s.html")],
                 ["add-reviewer", str(tmp_path), "sato"], ["remove-reviewer", str(tmp_path), "sato"]):
        result = runner.invoke(cli, ["review", *args], input=PASSWORD + "\n" + PASSWORD + "\n")
        assert result.exit_code == 1 and "not a gaiji set (no glyphs.csv)" in result.output, result.output
        assert "Password" not in result.output  # refused before asking
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_an_open_host_without_accounts(gaiji_set: Path) -> None:
    result = CliRunner().invoke(cli, ["review", "serve", str(gaiji_set), "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 1 and "add-reviewer" in result.output


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_killed_server_keeps_every_acknowledged_decision(gaiji_set: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gaiji", "review", "serve", str(gaiji_set), "--port", str(port), "--no-browser"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert f":{port}/" in line, line
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        token = re.search(r'value="([^"]+)"', opener.open(base + "/login").read().decode()).group(1)
        opener.open(urllib.request.Request(base + "/login", data=f"name=sato&csrf_token={token}".encode()))
        token = re.search(r'data-csrf="([^"]+)"', opener.open(base + "/").read().decode()).group(1)
        acknowledged = []
        for i, gid in enumerate(["E001", "E003", "E004", "E005"] * 5):
            body = {"gaiji_id": gid, "mj": None, "class": "該当なし", "request_id": f"k{i}", "confirm": True}
            request = urllib.request.Request(base + "/api/decide", data=json.dumps(body).encode(), method="POST",
                                             headers={"Content-Type": "application/json", "X-CSRF-Token": token})
            reply = json.loads(opener.open(request, timeout=10).read())
            acknowledged.append((f"k{i}", reply["event"]["hash"]))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    store = ReviewStore.open(gaiji_set)
    stored = {e.request_id: e.hash for e in store.events()}
    assert all(stored.get(rid) == digest for rid, digest in acknowledged)
    assert store.verify_chain().ok


def test_serve_says_when_the_set_has_no_candidates(gaiji_set: Path, monkeypatch) -> None:
    import gaiji.review.server

    def fake_serve(set_dir, *, on_ready, **_kwargs):
        on_ready("http://127.0.0.1:1/")

    monkeypatch.setattr(gaiji.review.server, "serve", fake_serve)
    (gaiji_set / "candidates.csv").unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["review", "serve", str(gaiji_set), "--no-browser"])
    assert result.exit_code == 0, result.output
    assert "no candidates.csv" in result.stderr and "gaiji match" in result.stderr
