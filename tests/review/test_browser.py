"""End to end in a real headless Chromium (Debian's, driven by Playwright) against the real
waitress server: keyboard review, search-and-pick, a second reviewer's confirmation, a
disagreement, and the audit chain verifying afterwards."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.review.app import create_app
from gaiji.review.server import make_server, server_url
from gaiji.review.store import ReviewStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.reference]


@pytest.fixture()
def desk(gaiji_set: Path, reference) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app = create_app(gaiji_set, reference=reference)
    server = make_server(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server_url(server, "127.0.0.1")
    finally:
        server.close()
        thread.join(5)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("headless Chromium is missing: apt-get install chromium (setup.sh --test does it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(url + "login")
    page.fill("#name", name)
    page.click("#signin")
    page.wait_for_selector("#cards .card")
    return page


def wait_for_gaiji(page, gid: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("gid => document.getElementById('f-id').textContent === gid", arg=gid)
    page.wait_for_selector("#cards .card.selected")


def test_review_flow_in_the_browser(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = sign_in(browser, desk, "sato")
    # the queue is ordered by usage: E001 (12×) first; E002 is auto-accepted, not to do
    wait_for_gaiji(sato, "E001")
    assert sato.text_content("#count-auto-accepted") == "1"
    assert sato.text_content("#count-todo") == "4"

    # keyboard: second candidate, class デザイン差, a comment, accept
    sato.keyboard.press("2")
    sato.keyboard.press("d")
    sato.keyboard.press("c")
    sato.keyboard.type("点が二つ <ok>")
    sato.keyboard.press("Escape")
    sato.keyboard.press("a")
    wait_for_gaiji(sato, "E004")  # the next gaiji comes up by itself

    # search for another glyph and pick it
    sato.keyboard.press("/")
    sato.keyboard.type("MJ013050")
    sato.keyboard.press("Enter")
    sato.wait_for_function("() => document.getElementById('cards-title').textContent.includes('Search')")
    sato.wait_for_selector("#cards .card[data-mj='MJ013050']")
    sato.keyboard.press("1")
    sato.keyboard.press("a")
    wait_for_gaiji(sato, "E003")

    store = ReviewStore.open(gaiji_set)
    assert store.state("E001").proposals["sato"].mj == "MJ025761"
    assert store.state("E001").proposals["sato"].comment == "点が二つ <ok>"
    assert store.state("E004").proposals["sato"].mj == "MJ013050"

    # a second reviewer confirms E001 (sato's view is preselected) and disagrees on E004
    suzuki = sign_in(browser, desk, "suzuki")
    wait_for_gaiji(suzuki, "E001")
    assert suzuki.locator("#views .view").count() == 1
    assert suzuki.get_attribute("#cards .card.selected", "data-mj") == "MJ025761"
    assert suzuki.is_checked("input[value='デザイン差']")
    suzuki.keyboard.press("a")
    wait_for_gaiji(suzuki, "E004")
    suzuki.keyboard.press("1")  # MJ013049, not sato's MJ013050
    suzuki.keyboard.press("g")
    suzuki.keyboard.press("a")
    wait_for_gaiji(suzuki, "E003")
    suzuki.wait_for_function("() => document.getElementById('count-disputed').textContent === '1'")
    assert suzuki.text_content("#count-checked") == "1"

    # the disagreement shows both views
    suzuki.click(".chip[data-state='disputed']")
    wait_for_gaiji(suzuki, "E004")
    views = suzuki.locator("#views .view")
    assert views.count() == 2
    assert {views.nth(i).locator(".who").text_content().split("20")[0] for i in range(2)} == {"sato", "suzuki"}
    assert "Disagreement" in suzuki.text_content("#views h3")
    # the comment was shown as text, not markup
    suzuki.click(".chip[data-state='all']")
    suzuki.click("#queue-list li[data-id='E001'] button")
    wait_for_gaiji(suzuki, "E001")
    assert "点が二つ <ok>" in suzuki.text_content("#views")

    assert sato.errors == [] and suzuki.errors == []
    finals = {f.gaiji_id: f for f in ReviewStore.open(gaiji_set).final_decisions()}
    assert (finals["E001"].mj, finals["E001"].decided_by, finals["E001"].checked_by) == ("MJ025761", "sato", "suzuki")
    assert finals["E001"].identification_class == "デザイン差"
    assert "E004" not in finals

    result = CliRunner().invoke(cli, ["review", "log", str(gaiji_set), "--verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain verified: 5 events" in result.output
