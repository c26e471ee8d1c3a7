"""End to end in a real headless Chromium (Debian's, driven by Playwright) against the real
waitress server: the keyboard review flow, every safe-decision rule, undo, roles, the
variant question, the batch spot-check, search paging and the 1280×720 layout — each
checked against what the audit trail recorded."""

from __future__ import annotations

import csv
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.review.accounts import add_reviewer
from gaiji.review.app import create_app
from gaiji.review.server import make_server, server_url
from gaiji.review.store import ReviewStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "tsuji-ippon-ten-41"

pytestmark = [pytest.mark.browser, pytest.mark.reference]


def serve_app(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server_url(server, "127.0.0.1")
    finally:
        server.close()
        thread.join(5)


@pytest.fixture()
def desk(gaiji_set: Path, reference) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield from serve_app(create_app(gaiji_set, reference=reference))


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("headless Chromium is missing: apt-get install chromium (setup.sh --test does it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser, url: str, name: str, password: str | None = None, size=(1280, 720)):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(url + "login")
    page.fill("#name", name)
    if password:
        page.fill("#password", password)
    page.click("#signin")
    page.wait_for_selector("#cards .card, #f-id")
    return page


def wait_for_gaiji(page, gid: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("gid => document.getElementById('f-id').textContent === gid", arg=gid)


def open_gaiji(page, gid: str) -> None:  # type: ignore[no-untyped-def]
    page.click(".chip[data-state='all']")
    page.wait_for_selector(f"#queue-list li[data-id='{gid}']")
    page.click(f"#queue-list li[data-id='{gid}'] button")
    wait_for_gaiji(page, gid)


def events(set_dir: Path, gid: str | None = None) -> list:  # type: ignore[type-arg]
    return list(ReviewStore.open(set_dir).events(gaiji_id=gid))


def decisions(set_dir: Path, gid: str) -> list[tuple[str, str, str | None]]:
    return [(e.kind, e.reviewer, e.body.get("mj")) for e in events(set_dir, gid)
            if e.kind not in ("auto_accept", "spot_check")]


def wait_for_events(page, set_dir: Path, gid: str, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):
        if len(decisions(set_dir, gid)) >= n:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{gid}: expected {n} events, have {decisions(set_dir, gid)}")


def confirm_dialog(page, *, accept: bool) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#confirm-box:not([hidden])")
    text = page.text_content("#confirm-text")
    page.keyboard.press("Enter" if accept else "Escape")
    page.wait_for_selector("#confirm-box", state="hidden")
    return text


# -- the everyday flow ----------------------------------------------------------------------


def test_review_flow_in_the_browser(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = sign_in(browser, desk, "sato")
    assert sato.evaluate("document.documentElement.lang") == "ja"  # Japanese by default
    wait_for_gaiji(sato, "E001")  # ordered by usage: E001 (12×) first; E002 is auto-accepted
    assert sato.text_content("#count-auto-accepted") == "1"
    assert sato.text_content("#count-todo") == "4"
    # evidence in words, never raw column names
    cards_text = sato.text_content("#cards")
    assert "image_similarity" not in cards_text and "形が" in cards_text

    # keyboard: second candidate, class デザイン差, a comment, accept
    sato.keyboard.press("2")
    sato.keyboard.press("d")
    sato.keyboard.press("c")
    sato.keyboard.type("点が二つ <ok>")
    sato.keyboard.press("Escape")
    sato.keyboard.press("a")
    wait_for_gaiji(sato, "E004")  # the next gaiji comes up by itself
    sato.keyboard.press("Escape")  # E004 opens on its variant question; back to all candidates

    # search for another glyph and pick it
    sato.keyboard.press("/")
    sato.keyboard.type("MJ013050")
    sato.keyboard.press("Enter")
    sato.wait_for_selector("#cards .card[data-mj='MJ013050'] .matched")
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
    suzuki.keyboard.press("Escape")
    suzuki.keyboard.press("1")  # MJ013049, not sato's MJ013050
    suzuki.keyboard.press("g")
    suzuki.keyboard.press("a")
    wait_for_gaiji(suzuki, "E003")
    suzuki.wait_for_function("() => document.getElementById('count-disputed').textContent === '1'")
    assert suzuki.text_content("#count-checked") == "1"

    # the disagreement shows both views; the comment was shown as text, not markup
    suzuki.click(".chip[data-state='disputed']")
    wait_for_gaiji(suzuki, "E004")
    assert suzuki.locator("#views .view").count() == 2
    assert suzuki.locator("#views h3.dispute").count() == 1
    open_gaiji(suzuki, "E001")
    assert "点が二つ <ok>" in suzuki.text_content("#views")

    assert sato.errors == [] and suzuki.errors == []
    finals = {f.gaiji_id: f for f in ReviewStore.open(gaiji_set).final_decisions()}
    assert (finals["E001"].mj, finals["E001"].decided_by, finals["E001"].checked_by) == ("MJ025761", "sato", "suzuki")
    assert finals["E001"].identification_class == "デザイン差"
    assert "E004" not in finals

    result = CliRunner().invoke(cli, ["review", "log", str(gaiji_set), "--verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain verified: 5 events" in result.output


# -- safe decisions -------------------------------------------------------------------------


def test_no_match_needs_confirmation(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = sign_in(browser, desk, "sato")
    wait_for_gaiji(sato, "E001")
    sato.keyboard.press("n")
    assert "該当なし" in confirm_dialog(sato, accept=False)
    sato.wait_for_timeout(300)
    assert decisions(gaiji_set, "E001") == []  # cancelled: nothing recorded
    sato.keyboard.press("n")
    confirm_dialog(sato, accept=True)
    wait_for_events(sato, gaiji_set, "E001", 1)
    assert decisions(gaiji_set, "E001") == [("decision", "sato", None)]
    assert sato.errors == []


def test_a_checker_starts_from_the_first_choice_even_no_match(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    ReviewStore.open(gaiji_set).record_decision("E001", "sato", None, "該当なし")
    suzuki = sign_in(browser, desk, "suzuki")
    wait_for_gaiji(suzuki, "E001")
    # not "candidate 1": the first reviewer's 該当なし is what a checker confirms by default
    assert suzuki.locator("#cards .card.selected").count() == 0
    assert "selected" in (suzuki.get_attribute("#nomatch", "class") or "")
    assert suzuki.text_content("#accept-what") == "該当なし"
    suzuki.keyboard.press("a")
    confirm_dialog(suzuki, accept=True)
    wait_for_events(suzuki, gaiji_set, "E001", 2)
    (final,) = [f for f in ReviewStore.open(gaiji_set).final_decisions() if f.gaiji_id == "E001"]
    assert final.mj is None and (final.decided_by, final.checked_by) == ("sato", "suzuki")
    assert suzuki.errors == []


def test_settling_a_dispute_is_an_explicit_confirmed_choice(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    store = ReviewStore.open(gaiji_set)
    store.record_decision("E001", "sato", {"mj": "MJ025760", "char": "辻"}, "字形一致")
    store.record_decision("E001", "suzuki", {"mj": "MJ025761", "char": "辻"}, "デザイン差")
    tanaka = sign_in(browser, desk, "tanaka")
    open_gaiji(tanaka, "E001")
    assert tanaka.locator("#cards .card.selected").count() == 0  # nothing preselected
    tanaka.keyboard.press("a")  # one key press does not settle
    tanaka.keyboard.press("n")  # 該当なし as a third view needs a reason first
    tanaka.wait_for_timeout(300)
    assert tanaka.locator("#confirm-box:not([hidden])").count() == 0
    assert len(decisions(gaiji_set, "E001")) == 2
    # settle with suzuki's view: confirmed in a dialog; Esc first, nothing happens
    tanaka.click("#views .view[data-reviewer='suzuki'] .settle-with")
    assert "suzuki" in confirm_dialog(tanaka, accept=False)
    tanaka.wait_for_timeout(300)
    assert len(decisions(gaiji_set, "E001")) == 2
    tanaka.click("#views .view[data-reviewer='suzuki'] .settle-with")
    confirm_dialog(tanaka, accept=True)
    wait_for_events(tanaka, gaiji_set, "E001", 3)
    settle = events(gaiji_set, "E001")[-1]
    assert (settle.kind, settle.reviewer, settle.body["settle_basis"], settle.body["mj"]) == \
        ("settle", "tanaka", "suzuki", "MJ025761")
    assert tanaka.errors == []


def test_settling_with_a_third_view_needs_a_reason(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    store = ReviewStore.open(gaiji_set)
    store.record_decision("E001", "sato", {"mj": "MJ025760", "char": "辻"}, "字形一致")
    store.record_decision("E001", "suzuki", {"mj": "MJ025761", "char": "辻"}, "デザイン差")
    tanaka = sign_in(browser, desk, "tanaka")
    open_gaiji(tanaka, "E001")
    tanaka.keyboard.press("1")
    tanaka.keyboard.press("s")  # MJ025760 as 類似: neither side's view
    tanaka.keyboard.press("a")
    tanaka.wait_for_function("() => document.activeElement.id === 'comment'")  # asked for a reason
    tanaka.keyboard.type("どちらとも言えない")
    tanaka.keyboard.press("Escape")
    # the next key goes to the page, not the comment box, only once the box has let go of it
    tanaka.wait_for_function("() => document.activeElement.id !== 'comment'")
    tanaka.keyboard.press("a")
    assert "MJ025760" in confirm_dialog(tanaka, accept=True)
    wait_for_events(tanaka, gaiji_set, "E001", 3)
    settle = events(gaiji_set, "E001")[-1]
    assert (settle.body["settle_basis"], settle.body["identification_class"], settle.body["comment"]) == \
        ("third", "類似", "どちらとも言えない")


def test_undo_of_ones_own_unconfirmed_decision(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = sign_in(browser, desk, "sato")
    wait_for_gaiji(sato, "E001")
    sato.keyboard.press("a")
    wait_for_gaiji(sato, "E004")
    sato.keyboard.press("u")  # undoes E001, shown again
    wait_for_gaiji(sato, "E001")
    wait_for_events(sato, gaiji_set, "E001", 2)
    assert [k for k, _, _ in decisions(gaiji_set, "E001")] == ["decision", "undo"]
    assert ReviewStore.open(gaiji_set).state("E001").state == "pending"
    # once a second reviewer confirmed it, it cannot be undone
    sato.keyboard.press("a")
    wait_for_gaiji(sato, "E004")  # the page has its answer and moved on
    wait_for_events(sato, gaiji_set, "E001", 3)
    ReviewStore.open(gaiji_set).record_decision("E001", "suzuki", {"mj": "MJ025760", "char": "辻"}, "字形一致")
    sato.keyboard.press("u")
    sato.wait_for_function("() => document.getElementById('toast').className.includes('error') && "
                           "document.getElementById('toast').textContent.includes('suzuki')")
    assert ReviewStore.open(gaiji_set).state("E001").state == "checked"
    assert sato.errors == []


# -- roles ------------------------------------------------------------------------------


def test_only_an_administrator_switches_the_two_person_rule(gaiji_set: Path, reference, browser) -> None:  # type: ignore[no-untyped-def]
    add_reviewer(gaiji_set, "sato", PASSWORD, role="administrator")
    add_reviewer(gaiji_set, "suzuki", PASSWORD)
    for url in serve_app(create_app(gaiji_set, reference=reference)):
        suzuki = sign_in(browser, url, "suzuki", PASSWORD)
        assert suzuki.is_disabled("#two-person")
        sato = sign_in(browser, url, "sato", PASSWORD)
        assert sato.is_enabled("#two-person") and sato.text_content("#role")
        sato.click("#two-person")
        confirm_dialog(sato, accept=True)
        sato.wait_for_function("() => !document.getElementById('two-person').checked")
        # the box unticks as it is clicked, before the server has recorded the setting: wait for it
        deadline = time.monotonic() + 15
        while not (settings := [e for e in events(gaiji_set) if e.kind == "setting"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        (setting,) = settings
        assert (setting.reviewer, setting.body) == ("sato", {"two_person": False, "role": "administrator"})
        assert suzuki.errors == [] and sato.errors == []


# -- the variant question, batch spot-check, search paging ---------------------------------------


def test_variant_question_shows_just_the_siblings(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = sign_in(browser, desk, "sato")
    open_gaiji(sato, "E004")  # ucs_confidence 0.97, confidence 0.40
    sato.wait_for_selector("#banner.variant:not([hidden])")
    assert "斎" in sato.text_content("#banner")
    mjs = [sato.get_attribute(f"#cards .card[data-index='{i}']", "data-mj")
           for i in range(sato.locator("#cards .card").count())]
    assert {"MJ013049", "MJ013050"} <= set(mjs)
    assert all("U+658E" in t for t in sato.locator("#cards .card .code").all_text_contents())
    sato.keyboard.press(str(mjs.index("MJ013050") + 1))
    sato.keyboard.press("a")
    wait_for_events(sato, gaiji_set, "E004", 1)
    assert decisions(gaiji_set, "E004") == [("decision", "sato", "MJ013050")]
    # E003's matcher says no MJ glyph may be the same: the desk suggests 該当なし
    open_gaiji(sato, "E003")
    sato.wait_for_selector("#banner.nomatch:not([hidden])")
    assert sato.errors == []


def open_spot_check(browser, desk: str):  # type: ignore[no-untyped-def]
    """Sato's desk with the spot-check box open on its one auto-accepted gaiji, E002."""
    sato = sign_in(browser, desk, "sato")
    wait_for_gaiji(sato, "E001")
    sato.keyboard.press("b")
    sato.wait_for_selector("#spot-grid .spot[data-id='E002'] img")
    assert sato.locator("#spot-grid .spot").count() == 1
    return sato


def test_batch_spot_check_confirms_the_sample_shown(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = open_spot_check(browser, desk)
    sato.keyboard.press("Enter")
    confirm_dialog(sato, accept=True)
    wait_for_events(sato, gaiji_set, "E002", 1)
    (final,) = [f for f in ReviewStore.open(gaiji_set).final_decisions() if f.gaiji_id == "E002"]
    assert final.auto_accepted and final.checked_by == "sato"
    # the box now says what the random checks so far measure
    sato.keyboard.press("b")
    sato.wait_for_function("() => /正しい 1・誤り 0/.test(document.getElementById('spot-audit').textContent)")
    assert "あと 597 件" in sato.text_content("#spot-audit")
    assert sato.errors == []


def test_a_spot_check_sample_left_out_is_recorded_as_shown_and_stays_to_review(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = open_spot_check(browser, desk)
    sato.keyboard.press("1")  # doubt it: leave it out to look at alone
    sato.wait_for_selector("#spot-grid .spot.doubt")
    sato.keyboard.press("Enter")  # nothing to confirm, so no confirmation is asked
    store = ReviewStore.open(gaiji_set)
    for _ in range(100):
        shown = [e for e in store.events(gaiji_id="E002") if e.kind == "spot_check"]
        if len(shown) > 1:
            break
        sato.wait_for_timeout(50)
    assert [e.body["outcome"] for e in shown] == ["drawn", "left_out"]
    assert store.state("E002").state == "auto-accepted"
    assert sato.errors == []


def test_a_spot_check_box_closed_unconfirmed_shows_the_same_sample_again(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = open_spot_check(browser, desk)
    sato.keyboard.press("Escape")
    sato.wait_for_selector("#spot-box", state="hidden")
    sato.keyboard.press("b")  # not a new draw: the sample on record comes back
    sato.wait_for_selector("#spot-grid .spot[data-id='E002'] img")
    shown = [e for e in ReviewStore.open(gaiji_set).events(gaiji_id="E002") if e.kind == "spot_check"]
    assert [e.body["outcome"] for e in shown] == ["drawn"]
    # drawing again asks first: the sample shown would stay open in the audit
    sato.click("#spot-sample")
    confirm_dialog(sato, accept=False)
    sato.wait_for_selector("#spot-box:not([hidden])")
    shown = [e for e in ReviewStore.open(gaiji_set).events(gaiji_id="E002") if e.kind == "spot_check"]
    assert len(shown) == 1
    assert sato.errors == []


def test_search_results_are_counted_paged_and_selectable(desk: str, browser, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    sato = sign_in(browser, desk, "sato")
    wait_for_gaiji(sato, "E001")
    sato.keyboard.press("/")
    sato.keyboard.type("つじ")
    sato.keyboard.press("Enter")
    sato.wait_for_function("() => document.getElementById('cards-title').textContent.includes('1/')")
    sato.keyboard.press("/")
    sato.keyboard.press("Control+a")
    sato.keyboard.type("エン")
    sato.keyboard.press("Enter")
    sato.wait_for_function("() => /エン.*1\\/\\d+/.test(document.getElementById('cards-title').textContent)")
    first_page = sato.locator("#cards .card").first.get_attribute("data-mj")
    sato.keyboard.press("PageDown")
    sato.wait_for_function("() => document.getElementById('cards-title').textContent.includes('2/')")
    assert sato.locator("#cards .card").first.get_attribute("data-mj") != first_page
    # results beyond 9 are reachable with the arrow keys
    for _ in range(11):
        sato.keyboard.press("ArrowRight")
    chosen = sato.get_attribute("#cards .card.selected", "data-mj")
    assert sato.get_attribute("#cards .card.selected", "data-index") == "11"
    sato.keyboard.press("a")
    wait_for_events(sato, gaiji_set, "E001", 1)
    assert decisions(gaiji_set, "E001") == [("decision", "sato", chosen)]
    assert sato.errors == []


# -- the layout at 1280×720 ------------------------------------------------------------------


def write_candidates(set_dir: Path, reference, gid: str, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    records = [r for r in reference.search("辶+2", limit=40) if r.has_glyph][:n]
    path = set_dir / "candidates.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header, body = rows[0], [r for r in rows[1:] if r[0] != gid]
    for rank, rec in enumerate(records, 1):
        row = dict.fromkeys(header, "")
        row.update(gaiji_id=gid, rank=rank, mj=rec.mj, ucs=rec.ucs, ivs=rec.ivs, char=rec.char,
                   score=round(0.9 - rank * 0.02, 3), confidence=round(0.6 - rank * 0.05, 3), auto_accept=0,
                   image_similarity=0.8, reading_match=1)
        body.append([str(row[h]) for h in header])
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    return [r.mj for r in records]


def test_gaiji_overlay_and_six_candidates_fit_at_1280x720(gaiji_set: Path, reference, browser) -> None:  # type: ignore[no-untyped-def]
    write_candidates(gaiji_set, reference, "E001", 9)
    for url in serve_app(create_app(gaiji_set, reference=reference)):
        page = sign_in(browser, url, "sato", size=(1280, 720))
        wait_for_gaiji(page, "E001")
        page.wait_for_selector("#compare img.ov-large")

        def inside(selector: str, index: int = 0, within: dict | None = None, page=page) -> bool:  # type: ignore[type-arg,no-untyped-def]
            box = page.locator(selector).nth(index).bounding_box()
            area = within or {"x": 0, "y": 0, "width": 1280, "height": 720}
            return box is not None and box["y"] >= area["y"] and box["x"] >= area["x"] and \
                box["y"] + box["height"] <= area["y"] + area["height"] + 0.5 and \
                box["x"] + box["width"] <= area["x"] + area["width"] + 0.5

        assert inside("#gaiji-img") and inside("#compare img.ov-large") and inside("#accept") and inside(".keys")
        cards = page.locator("#cards .card")
        scroller = page.locator("#cards").bounding_box()  # cards below its fold are not "visible"
        visible = [i for i in range(cards.count()) if inside("#cards .card", i, scroller) and inside("#cards .card", i)]
        assert len(visible) >= 6, visible
        # every fully visible card shows its MJ number
        assert all(page.locator("#cards .card .mj").nth(i).is_visible() for i in range(6))
        # two candidates side by side: pin the 1st, look at the 2nd
        page.keyboard.press("v")
        page.keyboard.press("2")
        page.wait_for_selector("#compare .compare-one.pinned")
        assert page.locator("#compare .compare-one").count() == 2
        assert inside("#compare .compare-one", 1)
        # zoom the overlay
        page.keyboard.press("]")
        page.wait_for_function("() => document.querySelector('#compare img').src.includes('px=512')")
        # ? opens the help; English is available
        page.keyboard.press("?")
        page.wait_for_selector("#help-box:not([hidden])")
        page.keyboard.press("Escape")
        page.click("#lang")
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        assert "Candidates" in page.text_content("#cards-title") or "Search" in page.text_content("#cards-title")
        assert page.errors == []


# -- corpus proposals (gaiji review serve --proposals) ---------------------------------------


def test_corpus_proposals_show_beside_the_gaiji_as_evidence(gaiji_set: Path, reference, browser,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path) -> None:
    with open(gaiji_set / "glyphs.csv", encoding="utf-8") as fh:
        ids = [row["gaiji_id"] for row in csv.DictReader(fh)]
    proposals = tmp_path / "proposals.csv"
    with open(proposals, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["kind", "gaiji_id", "group_id", "mj", "char", "basis"])
        w.writeheader()
        for gid in ids:
            w.writerow({"kind": "proposal", "gaiji_id": gid, "group_id": "G1", "mj": "MJ028902", "char": "髙",
                        "basis": "same glyph in 2 municipalities"})
    app = create_app(gaiji_set, reference=reference, proposals_path=proposals)  # records the auto-accepts
    before = len(list(ReviewStore.open(gaiji_set).events()))
    for url in serve_app(app):
        page = sign_in(browser, url, "sato")
        page.wait_for_function("() => document.getElementById('f-corpus').textContent.includes('MJ028902')")
        text = page.text_content("#f-corpus")
        assert "証拠のみ" in text and "2 municipalities" in text
        assert page.errors == []
    assert len(list(ReviewStore.open(gaiji_set).events())) == before  # evidence only: nothing recorded


def test_an_added_sets_entry_is_searched_and_chosen_in_the_browser(tmp_path: Path, reference, browser) -> None:  # type: ignore[no-untyped-def]
    """A reviewer searches the added set's identifier, picks its card and accepts: the record
    holds (set, identifier), the card and the decision bar name the set, not an MJ number."""
    from gaiji.reference import refsets
    from tests.review.conftest import build_set
    from tests.review.test_refset_desk import SAMPLE, SET_ID

    home = tmp_path / "home"
    refsets.add_set("HanaExt", [SAMPLE / "refset-sample.ttf"], SAMPLE / "refset.csv", home=home)
    set_dir = build_set(tmp_path / "city")
    app = create_app(set_dir, reference=reference, ref_sets=[refsets.load_set("HanaExt", home)])
    for url in serve_app(app):
        sato = sign_in(browser, url, "sato")
        wait_for_gaiji(sato, "E001")
        sato.keyboard.press("/")
        sato.keyboard.type(SET_ID)
        sato.keyboard.press("Enter")
        sato.wait_for_selector(f"#cards .card.in-set[data-mj='HanaExt:{SET_ID}']")
        assert sato.get_attribute("#cards .card.selected", "data-mj") == f"HanaExt:{SET_ID}"
        assert f"HanaExt {SET_ID}" in sato.text_content("#accept-what")
        assert sato.locator("#cards .card.in-set img.cand").count() == 1  # its glyph is pictured
        sato.keyboard.press("a")
        wait_for_events(sato, set_dir, "E001", 1)
        body = next(e.body for e in events(set_dir, "E001") if e.kind == "decision")
        assert (body["mj"], body["ref_set"], body["ref_id"], body["font_name"]) == \
            (None, "HanaExt", SET_ID, "GaijiRefsetSample")
        assert sato.errors == []
