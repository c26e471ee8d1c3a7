"""Regenerate the review-desk screenshots in this folder (for the README).

    python docs/screenshots/make_screenshots.py

Builds the small test set of tests/review (glyphs drawn from Hanazono明朝, candidates with
real MJ numbers), records a few decisions, serves the desk with waitress on loopback and
photographs it with Debian's headless Chromium through Playwright. PNGs are palette-reduced
to stay small.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "review")]

from conftest import build_set  # type: ignore[import-not-found]
from PIL import Image
from playwright.sync_api import sync_playwright

from gaiji.reference import load_reference
from gaiji.review.app import create_app
from gaiji.review.server import make_server, server_url
from gaiji.review.sheet import sheet_html
from gaiji.review.store import ReviewStore

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def shrink(path: Path, colours: int = 96) -> None:
    image = Image.open(path).convert("RGB")
    image.quantize(colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    ref = load_reference()
    with tempfile.TemporaryDirectory() as tmp:
        set_dir = build_set(Path(tmp) / "city")
        app = create_app(set_dir, reference=ref)
        store = ReviewStore.open(set_dir)
        rec = lambda mj: {k: getattr(ref.record(mj), k) for k in ("mj", "char", "ucs", "ivs")}
        store.record_decision("E001", "佐藤", rec("MJ025760"), "デザイン差", comment="一点しんにょう、台帳と一致")
        store.record_decision("E004", "佐藤", rec("MJ013049"), "字形一致")
        store.record_decision("E004", "鈴木", rec("MJ013050"), "字形一致", comment="右下の払いが違う")
        store.record_decision("E003", "佐藤", rec("MJ028902"), "字形一致")
        store.record_decision("E003", "鈴木", rec("MJ028902"), "字形一致")
        server = make_server(app, "127.0.0.1", 0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        url = server_url(server, "127.0.0.1")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 820})
            page.goto(url + "login")
            page.fill("#name", "田中")
            page.screenshot(path=HERE / "login.png")
            page.click("#signin")
            page.wait_for_function("() => document.getElementById('f-id').textContent === 'E001'")
            page.wait_for_timeout(600)
            page.screenshot(path=HERE / "desk.png")
            page.keyboard.press("j")
            page.wait_for_function("() => document.getElementById('f-id').textContent === 'E004'")
            page.wait_for_timeout(600)
            page.screenshot(path=HERE / "disagreement.png")
            page.click(".chip[data-state='all']")
            page.click("#queue-list li[data-id='E005'] button")
            page.wait_for_function("() => document.getElementById('f-id').textContent === 'E005'")
            page.keyboard.press("/")
            page.keyboard.type("辶+2")
            page.keyboard.press("Enter")
            page.wait_for_selector("#cards .card")
            page.wait_for_timeout(800)
            page.screenshot(path=HERE / "search.png")
            sheet = Path(tmp) / "sheet.html"
            sheet.write_text(sheet_html(set_dir, reference=ref), encoding="utf-8")
            page.set_viewport_size({"width": 900, "height": 700})
            page.goto(sheet.as_uri())
            page.screenshot(path=HERE / "sheet.png")
            browser.close()
        server.close()
    for name in ("login", "desk", "disagreement", "search", "sheet"):
        shrink(HERE / f"{name}.png")
        print(f"{name}.png {(HERE / f'{name}.png').stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
