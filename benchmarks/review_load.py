"""Load test of the review desk: concurrent reviewers against the real server over loopback.

    python benchmarks/review_load.py [--gaiji 600] [--reviewers 5] [--decisions 120] [--seconds 90]

Builds a gaiji set (glyphs drawn from Hanazono明朝, candidates = the reference's MJ glyphs
for that character; scores are synthetic — this measures the desk, not matching), starts
`gaiji review serve` as its own process (waitress), and lets N reviewer threads work through
overlapping parts of the queue the way the page does:

* "next gaiji shown": GET /api/item/<id> plus every picture the page shows for it (gaiji,
  candidates, overlays), fetched cold — an upper bound, since the page preloads the next gaiji;
* "decision durable": POST /api/decide until its reply, which is sent only after the
  SQLite commit (WAL, synchronous=FULL) returned.

Afterwards it compares decisions acknowledged with decisions stored (none lost, none
duplicated, by request id) and verifies the hash chain. Baselines in the same run: the same
load with one reviewer, and ReviewStore.record_decision called in-process (no HTTP).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image, ImageDraw, ImageFont

from gaiji.reference import load_reference
from gaiji.review.store import ReviewStore

HANAZONO = "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"


def build_set(folder: Path, n: int, ref) -> Path:  # type: ignore[no-untyped-def]
    """n gaiji drawn from common kanji that have MJ glyphs, with their candidates."""
    (folder / "glyphs").mkdir(parents=True)
    rng = random.Random(7)
    font = ImageFont.truetype(HANAZONO, 32)
    glyph_rows, cand_rows = [], []
    code = 0x4E00
    while len(glyph_rows) < n and code < 0x9FA0:
        char = chr(code)
        code += 1
        records = [r for r in ref.by_char(char, limit=6) if r.has_glyph]
        if not records:
            continue
        gid = f"G{len(glyph_rows):05d}"
        image = Image.new("L", (32, 32), 255)
        ImageDraw.Draw(image).text((16, 16), char, font=font, fill=0, anchor="mm")
        image.point(lambda v: 0 if v < 128 else 255).convert("1").save(folder / "glyphs" / f"{gid}.png")
        glyph_rows.append([gid, "bench", f"U+{0xE000 + len(glyph_rows):04X}", 32, 32, "", rng.randint(0, 500), "",
                           f"glyphs/{gid}.png"])
        for rank, rec in enumerate(records[:5], 1):
            score = round(0.95 - 0.07 * rank + rng.random() * 0.02, 4)
            cand_rows.append([gid, rank, rec.mj, rec.ucs, rec.ivs, rec.char, score, round(score * 0.8, 4), 0])
    with (folder / "glyphs.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["gaiji_id", "source", "code", "width", "height", "reading", "usage_count", "note", "image"])
        w.writerows(glyph_rows)
    with (folder / "candidates.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["gaiji_id", "rank", "mj", "ucs", "ivs", "char", "score", "confidence", "auto_accept"])
        w.writerows(cand_rows)
    return folder


class Reviewer:
    """One reviewer's HTTP session (keep-alive connection, cookie, CSRF token)."""

    def __init__(self, port: int, name: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.name = name
        page = self.get("/login").decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        self.request("POST", "/login", f"name={name}&csrf_token={token}".encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        self.csrf = re.search(r'data-csrf="([^"]+)"', self.get("/").decode()).group(1)  # type: ignore[union-attr]

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> bytes:
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return data

    def get(self, path: str) -> bytes:
        return self.request("GET", path)

    def show(self, gid: str) -> dict:
        """Everything the page fetches to show one gaiji."""
        item = json.loads(self.get(f"/api/item/{gid}"))
        self.get(item["image_url"])
        for cand in item["candidates"]:
            if cand.get("image_url"):
                self.get(cand["image_url"])
                self.get(cand["overlay_url"])
        return item

    def decide(self, gid: str, item: dict, request_id: str) -> dict:
        cand = item["candidates"][0]
        body = json.dumps({"gaiji_id": gid, "mj": cand["mj"], "class": "字形一致", "request_id": request_id})
        return json.loads(self.request("POST", "/api/decide", body.encode(),
                                       {"Content-Type": "application/json", "X-CSRF-Token": self.csrf}))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def run_load(port: int, ids: list[str], reviewers: int, decisions: int, seconds: float, tag: str) -> dict:
    shown_cold: list[float] = []
    item_json: list[float] = []
    durable: list[float] = []
    acked: list[tuple[str, str]] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(r: int) -> None:
        try:
            rev = Reviewer(port, f"{tag}-r{r}")
            # reviewers overlap pairwise, so confirmations and disagreements happen under load
            start = (r // 2) * decisions
            for k in range(decisions):
                if time.monotonic() > deadline:
                    break
                gid = ids[(start + k) % len(ids)]
                t0 = time.perf_counter()
                item_raw = rev.get(f"/api/item/{gid}")
                t1 = time.perf_counter()
                item = json.loads(item_raw)
                rev.get(item["image_url"])
                for cand in item["candidates"]:
                    if cand.get("image_url"):
                        rev.get(cand["image_url"])
                        rev.get(cand["overlay_url"])
                t2 = time.perf_counter()
                rid = f"{tag}-{r}-{k}"
                reply = rev.decide(gid, item, rid)
                t3 = time.perf_counter()
                with lock:
                    item_json.append(t1 - t0)
                    shown_cold.append(t2 - t0)
                    durable.append(t3 - t2)
                    acked.append((rid, reply["event"]["hash"]))
        except Exception as exc:  # noqa: BLE001 - reported and counted below
            with lock:
                errors.append(f"reviewer {r}: {exc!r}")

    threads = [threading.Thread(target=work, args=(r,)) for r in range(reviewers)]
    t_start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"shown_cold": shown_cold, "item_json": item_json, "durable": durable, "acked": acked,
            "errors": errors, "wall": time.perf_counter() - t_start}


def report(label: str, res: dict) -> None:
    ms = lambda xs, q: 1000 * pct(xs, q)
    print(f"{label}: {len(res['acked'])} decisions in {res['wall']:.1f} s "
          f"({len(res['acked']) / res['wall']:.1f}/s), errors {len(res['errors'])}")
    print(f"  next gaiji shown (item JSON)             p50 {ms(res['item_json'], 50):7.1f} ms   p95 {ms(res['item_json'], 95):7.1f} ms")
    print(f"  next gaiji shown (JSON + all pictures, cold) p50 {ms(res['shown_cold'], 50):7.1f} ms   p95 {ms(res['shown_cold'], 95):7.1f} ms")
    print(f"  decision durable (POST → reply)          p50 {ms(res['durable'], 50):7.1f} ms   p95 {ms(res['durable'], 95):7.1f} ms")
    for e in res["errors"][:5]:
        print("  error:", e)


CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

SHOWN_JS = """gid => {
  const id = document.getElementById('f-id').textContent;
  if (!id || id === gid) return false;
  const imgs = [document.getElementById('gaiji-img'), ...document.querySelectorAll('#cards img')];
  return imgs.every(i => i.complete && i.naturalWidth > 0);
}"""


def browser_reviewer(port: int, decisions: int, seconds: float) -> dict:
    """One reviewer in headless Chromium deciding by keyboard: keypress → next gaiji on
    screen with all its pictures, and keypress → the page confirming the decision."""
    from playwright.sync_api import sync_playwright

    shown, acked = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/login")
        page.fill("#name", "browser")
        page.click("#signin")
        page.wait_for_selector("#cards .card.selected")
        page.wait_for_timeout(300)
        deadline = time.monotonic() + seconds
        for _ in range(decisions):
            if time.monotonic() > deadline:
                break
            gid = page.text_content("#f-id")
            page.wait_for_timeout(150)  # let the preload of the next gaiji run, as a reviewer's glance would
            t0 = time.perf_counter()
            page.keyboard.press("a")
            page.wait_for_function("gid => document.getElementById('toast').textContent.startsWith('Saved ' + gid)",
                                   arg=gid)
            t1 = time.perf_counter()
            page.wait_for_function(SHOWN_JS, arg=gid)
            t2 = time.perf_counter()
            acked.append(t1 - t0)
            shown.append(t2 - t0)
        browser.close()
    return {"shown": shown, "acked": acked}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gaiji", type=int, default=600)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--decisions", type=int, default=120, help="per reviewer (bounded)")
    parser.add_argument("--seconds", type=float, default=90, help="time bound per phase")
    parser.add_argument("--browser-decisions", type=int, default=40, help="decisions made in headless Chromium")
    parser.add_argument("--no-browser", action="store_true", help="skip the headless-Chromium phase")
    args = parser.parse_args()

    ref = load_reference()
    with tempfile.TemporaryDirectory(prefix="gaiji-review-load-") as tmp:
        set_dir = build_set(Path(tmp) / "set", args.gaiji, ref)
        ids = [row["gaiji_id"] for row in csv.DictReader((set_dir / "glyphs.csv").open(encoding="utf-8"))]
        print(f"set: {len(ids)} gaiji, reference {ref.version_label}, {os.cpu_count()} CPUs")

        # baseline A: the store alone, in-process (no HTTP): the cost of a durable commit
        base_dir = Path(tmp) / "store-only"
        base_dir.mkdir()
        (base_dir / "glyphs.csv").write_text((set_dir / "glyphs.csv").read_text(encoding="utf-8"), encoding="utf-8")
        store = ReviewStore.open(base_dir)
        commit = []
        for k in range(200):
            t0 = time.perf_counter()
            store.record_decision(ids[k % len(ids)], "base", {"mj": "MJ025760"}, "字形一致")
            commit.append(time.perf_counter() - t0)
        print(f"baseline, ReviewStore.record_decision in-process (200 commits): "
              f"p50 {1000 * pct(commit, 50):.2f} ms   p95 {1000 * pct(commit, 95):.2f} ms")

        proc = subprocess.Popen(
            [sys.executable, "-m", "gaiji", "review", "serve", str(set_dir), "--port", "0", "--no-browser"],
            stderr=subprocess.PIPE, text=True, cwd=REPO,
        )
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            match = re.search(r":(\d+)/", line)
            if not match:
                print("server did not start:", line, proc.stderr.read(), file=sys.stderr)
                return 1
            port = int(match.group(1))
            warm = Reviewer(port, "warmup")
            warm.show(ids[-1])

            single = run_load(port, ids, 1, args.decisions, args.seconds, "one")
            report("baseline, 1 reviewer", single)
            multi = run_load(port, ids, args.reviewers, args.decisions, args.seconds, "many")
            report(f"{args.reviewers} concurrent reviewers", multi)

            if not args.no_browser:
                # 4 HTTP reviewers keep the server busy while one works in a real browser
                bg: dict = {}
                bg_thread = threading.Thread(target=lambda: bg.update(
                    run_load(port, list(reversed(ids)), args.reviewers - 1, args.decisions, args.seconds, "bg")))
                bg_thread.start()
                page = browser_reviewer(port, args.browser_decisions, args.seconds)
                bg_thread.join()
                ms = lambda xs, q: 1000 * pct(xs, q)
                print(f"browser reviewer + {args.reviewers - 1} HTTP reviewers: {len(page['shown'])} decisions by keyboard")
                print(f"  keypress → decision confirmed on the page p50 {ms(page['acked'], 50):7.1f} ms   p95 {ms(page['acked'], 95):7.1f} ms")
                print(f"  keypress → next gaiji shown with pictures p50 {ms(page['shown'], 50):7.1f} ms   p95 {ms(page['shown'], 95):7.1f} ms")
                multi["acked"] += bg["acked"]
                multi["errors"] += bg["errors"]
                browser_decisions = len(page["acked"])
            else:
                browser_decisions = 0
        finally:
            proc.terminate()
            proc.wait(10)

        store = ReviewStore.open(set_dir)
        stored: dict[str, list[str]] = {}
        decisions = 0
        for event in store.events():
            if event.kind in ("decision", "settle"):
                decisions += 1
                stored.setdefault(event.request_id or "", []).append(event.hash)
        sent = single["acked"] + multi["acked"]
        lost = [rid for rid, h in sent if stored.get(rid) != [h]]
        duplicated = [rid for rid, hs in stored.items() if len(hs) > 1]
        chain = store.verify_chain()
        print(f"decisions acknowledged {len(sent) + browser_decisions} ({browser_decisions} from the browser), "
              f"stored {decisions}, lost {len(lost)}, "
              f"duplicated {len(duplicated)}; chain {'verified' if chain.ok else 'BROKEN'} "
              f"({chain.count} events); states {store.counts()}")
        ok = not lost and not duplicated and decisions == len(sent) + browser_decisions and chain.ok
        return 0 if ok and not (single["errors"] or multi["errors"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
