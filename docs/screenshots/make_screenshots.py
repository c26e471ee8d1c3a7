"""Regenerate the review-desk screenshots in this folder (for the README).

    python docs/screenshots/make_screenshots.py

Builds the small test set of tests/review (glyphs drawn from Hanazono明朝, candidates with
real MJ numbers; E001 gets nine candidates: the two 辻 variants and their 辶+2 neighbours),
records a few decisions, serves the desk with waitress on loopback and photographs it with
Debian's headless Chromium through Playwright, at 1280×720 and 1920×1080. PNGs are
palette-reduced to stay small.

E001 is Hanazono's 辻, drawn with two dots on 辶; candidate 1 (MJ025760) has one dot, so its
aligned overlay leaves exactly that dot vermilion, while MJ025761 (two dots, pinned beside it
with `v`) leaves almost nothing coloured.
"""

from __future__ import annotations

import csv
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


def nine_candidates(set_dir: Path, ref) -> None:  # type: ignore[no-untyped-def]
    """E001's candidates: 辻 one dot, 辻 two dots, then other 辶+2 glyphs."""
    path = set_dir / "candidates.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header, body = rows[0], [r for r in rows[1:] if r[0] != "E001"]
    others = [r for r in ref.search("辶+2", limit=40) if r.has_glyph and r.mj not in ("MJ025760", "MJ025761")]
    records = [ref.record("MJ025760"), ref.record("MJ025761"), *others[:7]]
    for rank, rec in enumerate(records, 1):
        row = dict.fromkeys(header, "")
        row.update(gaiji_id="E001", rank=rank, mj=rec.mj, ucs=rec.ucs, ivs=rec.ivs, char=rec.char,
                   score=round(0.93 - rank * 0.03, 3), confidence=round(0.62 - rank * 0.06, 3) if rank > 1 else 0.62,
                   auto_accept=0, image_similarity=round(0.92 - rank * 0.03, 3), reading_match=1 if rank < 3 else 0)
        body.append([str(row[h]) for h in header])
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])


def main() -> None:
    ref = load_reference()
    shots = []
    with tempfile.TemporaryDirectory() as tmp:
        set_dir = build_set(Path(tmp) / "city")
        nine_candidates(set_dir, ref)
        app = create_app(set_dir, reference=ref)
        store = ReviewStore.open(set_dir)
        rec = lambda mj: {k: getattr(ref.record(mj), k) for k in ("mj", "char", "ucs", "ivs")}
        store.record_decision("E004", "佐藤", rec("MJ013049"), "字形一致")
        store.record_decision("E004", "鈴木", rec("MJ013050"), "字形一致", comment="右下の払いが違う")
        store.record_decision("E003", "佐藤", rec("MJ028902"), "字形一致")
        store.record_decision("E003", "鈴木", rec("MJ028902"), "字形一致")
        server = make_server(app, "127.0.0.1", 0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        url = server_url(server, "127.0.0.1")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for width, height in ((1280, 720), (1920, 1080)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(url + "login")
                page.fill("#name", "田中")
                if width == 1280:
                    page.screenshot(path=HERE / "login.png")
                    shots.append("login")
                page.click("#signin")
                page.wait_for_function("() => document.getElementById('f-id').textContent === 'E001'")
                page.keyboard.press("2")
                page.keyboard.press("v")  # pin the two-dot glyph beside…
                page.keyboard.press("1")  # …the one-dot candidate
                page.wait_for_selector("#compare .compare-one.pinned img")
                page.wait_for_timeout(900)
                name = f"desk-{width}x{height}"
                page.screenshot(path=HERE / f"{name}.png")
                shots.append(name)
                if width == 1280:
                    page.click(".chip[data-state='disputed']")
                    page.wait_for_function("() => document.getElementById('f-id').textContent === 'E004'")
                    page.wait_for_timeout(700)
                    page.screenshot(path=HERE / "disagreement.png")
                    page.click(".chip[data-state='all']")
                    page.click("#queue-list li[data-id='E005'] button")
                    page.wait_for_function("() => document.getElementById('f-id').textContent === 'E005'")
                    page.keyboard.press("/")
                    page.keyboard.type("えん 氵")
                    page.keyboard.press("Enter")
                    page.wait_for_function("() => document.getElementById('cards-title').textContent.includes('1/')")
                    page.wait_for_timeout(900)
                    page.screenshot(path=HERE / "search.png")
                    page.keyboard.press("b")
                    page.wait_for_selector("#spot-grid .spot img")
                    page.wait_for_timeout(500)
                    page.screenshot(path=HERE / "spot-check.png")
                    page.keyboard.press("Escape")
                    page.keyboard.press("?")
                    page.wait_for_timeout(300)
                    page.screenshot(path=HERE / "help.png")
                    shots += ["disagreement", "search", "spot-check", "help"]
                page.close()
            sheet = Path(tmp) / "sheet.html"
            sheet.write_text(sheet_html(set_dir, reference=ref), encoding="utf-8")
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(sheet.as_uri())
            page.screenshot(path=HERE / "sheet.png")
            shots.append("sheet")
            browser.close()
        server.close()
    for name in shots:
        shrink(HERE / f"{name}.png")
        print(f"{name}.png {(HERE / f'{name}.png').stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
