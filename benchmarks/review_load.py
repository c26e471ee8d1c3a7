"""Load test of the review desk: concurrent reviewers against the real server over loopback.

    python benchmarks/review_load.py [--gaiji 600] [--reviewers 5 20] [--decisions 60] [--think 2.0]
                                     [--seconds 90] [--disagree 0.05] [--no-browser]

Builds a gaiji set (glyphs drawn from Hanazono明朝, candidates = the reference's MJ glyphs
for that character; scores are synthetic — this measures the desk, not matching), starts
`gaiji review serve` as its own process (waitress), and lets N reviewer threads work through
overlapping parts of the queue the way the page does:

* "next gaiji shown": GET /api/item/<id> plus every picture the page shows for it (gaiji,
  candidates, their overlays, the large aligned overlay), fetched cold — an upper bound, since
  the page preloads the next gaiji;
* "decision durable": POST /api/decide (or /api/settle) until its reply, which is sent only
  after the SQLite commit (WAL, synchronous=FULL, event signed) returned.

Reviewers overlap pairwise, so most gaiji get a decision and its confirmation; with
``--disagree`` a reviewer sometimes picks the second candidate, making disagreements, and a
reviewer meeting a disagreement settles it with the first view, as the page does. A 409 is
*explained* when the desk refused by a review rule that the page would show (the gaiji
became disputed between fetching and deciding, or was settled meanwhile); any other 409 is
*unexplained* and fails the run.

``--think`` is each reviewer's pause between seeing a gaiji and deciding it (a human looks at
it for seconds; 0 makes every reviewer a tight loop — a stress test, reported as such).

Afterwards it compares decisions acknowledged with decisions stored (none lost, none
duplicated, by request id) and verifies the hash chain and signatures. Baselines in the same
run: the same load with one reviewer, and ReviewStore.record_decision in-process (no HTTP).
"""

from __future__ import annotations

import argparse
import csv
import functools
import http.client
import json
import os
import random
import re
import shutil
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

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                allow: tuple[int, ...] = ()) -> bytes:
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        if response.status >= 400 and response.status not in allow:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        self.status = response.status
        return data

    def get(self, path: str) -> bytes:
        return self.request("GET", path)

    def show(self, gid: str) -> dict:
        """Everything the page fetches to show one gaiji."""
        item = json.loads(self.get(f"/api/item/{gid}"))
        fetch_pictures(self, item)
        return item

    def decide(self, gid: str, item: dict, request_id: str, pick: int = 0) -> tuple[int, dict]:
        """What the page sends for this item: a decision, or — on a disagreement this reviewer
        is not part of — a confirmed settlement with the first view. (status, reply)."""
        views = item.get("views") or []
        if item["state"] == "disputed" and not item["mine"]:
            first = views[0]
            path, body = "/api/settle", {"gaiji_id": gid, "mj": first["mj"], "class": first["identification_class"],
                                         "basis": first["reviewer"], "confirm": True, "request_id": request_id}
        else:
            cand = item["candidates"][min(pick, len(item["candidates"]) - 1)]
            path, body = "/api/decide", {"gaiji_id": gid, "mj": cand["mj"], "class": "字形一致",
                                         "request_id": request_id}
        raw = self.request("POST", path, json.dumps(body).encode(),
                           {"Content-Type": "application/json", "X-CSRF-Token": self.csrf}, allow=(409,))
        return self.status, json.loads(raw)


def fetch_pictures(rev: Reviewer, item: dict) -> None:
    """The pictures the page shows for one gaiji: the gaiji, each candidate and its overlay,
    and the large aligned overlay of the selected (first) candidate."""
    rev.get(item["image_url"])
    for cand in item["candidates"]:
        if cand.get("image_url"):
            rev.get(cand["image_url"])
            rev.get(cand["overlay_url"])
    first = item["candidates"][0] if item["candidates"] else None
    if first and first.get("overlay_url"):
        rev.get(first["overlay_url"] + "?px=256")


EXPLAINED_409 = ("disputed between", "not disputed", "settle", "holds no view", "differs from")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def run_load(port: int, ids: list[str], reviewers: int, decisions: int, seconds: float, tag: str,
             think: float = 0.0, disagree: float = 0.0) -> dict:
    shown_cold: list[float] = []
    item_json: list[float] = []
    durable: list[float] = []
    acked: list[tuple[str, str]] = []
    refused: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(r: int) -> None:
        rng = random.Random(r)
        try:
            rev = Reviewer(port, f"{tag}-r{r}")
            # reviewers overlap pairwise, so confirmations and disagreements happen under load
            start = (r // 2) * decisions
            if think:
                time.sleep(rng.random() * think)  # reviewers do not all start in the same millisecond
            for k in range(decisions):
                if time.monotonic() > deadline:
                    break
                gid = ids[(start + k) % len(ids)]
                t0 = time.perf_counter()
                item_raw = rev.get(f"/api/item/{gid}")
                t1 = time.perf_counter()
                item = json.loads(item_raw)
                fetch_pictures(rev, item)
                t2 = time.perf_counter()
                if item["final"] and item["state"] != "decided":
                    continue  # nothing left to do on it: the page's queue would not offer it
                if think:
                    time.sleep(think * (0.5 + rng.random()))
                rid = f"{tag}-{r}-{k}"
                t3 = time.perf_counter()
                status, reply = rev.decide(gid, item, rid, pick=1 if rng.random() < disagree else 0)
                t4 = time.perf_counter()
                with lock:
                    item_json.append(t1 - t0)
                    shown_cold.append(t2 - t0)
                    if status == 409:
                        refused.append(reply.get("error", ""))
                    else:
                        durable.append(t4 - t3)
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
    unexplained = [m for m in refused if not any(x in m for x in EXPLAINED_409)]
    return {"shown_cold": shown_cold, "item_json": item_json, "durable": durable, "acked": acked,
            "errors": errors, "wall": time.perf_counter() - t_start, "refused": refused,
            "unexplained": unexplained}


def report(label: str, res: dict) -> None:
    ms = lambda xs, q: 1000 * pct(xs, q)
    print(f"{label}: {len(res['acked'])} decisions in {res['wall']:.1f} s "
          f"({len(res['acked']) / res['wall']:.1f}/s), errors {len(res['errors'])}, "
          f"409 {len(res['refused'])} (unexplained {len(res['unexplained'])})")
    print(f"  next gaiji shown (item JSON)             p50 {ms(res['item_json'], 50):7.1f} ms   p95 {ms(res['item_json'], 95):7.1f} ms")
    print(f"  next gaiji shown (JSON + all pictures, cold) p50 {ms(res['shown_cold'], 50):7.1f} ms   p95 {ms(res['shown_cold'], 95):7.1f} ms")
    print(f"  decision durable (POST → reply)          p50 {ms(res['durable'], 50):7.1f} ms   p95 {ms(res['durable'], 95):7.1f} ms")
    for e in res["errors"][:5]:
        print("  error:", e)
    for m in res["unexplained"][:5]:
        print("  unexplained 409:", m)


CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

SHOWN_JS = """gid => {
  const id = document.getElementById('f-id').textContent;
  if (!id || id === gid) return false;
  const imgs = [document.getElementById('gaiji-img'), ...document.querySelectorAll('#cards img, #compare img')];
  return imgs.every(i => i.complete && i.naturalWidth > 0);
}"""


def browser_reviewer(port: int, decisions: int, seconds: float) -> dict:
    """One reviewer in headless Chromium deciding by keyboard: keypress → next gaiji on
    screen with all its pictures, and keypress → the page confirming the decision."""
    from playwright.sync_api import sync_playwright

    shown, acked = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
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
            page.wait_for_function("gid => document.getElementById('toast').textContent.includes(gid + ':')",
                                   arg=gid)
            t1 = time.perf_counter()
            page.wait_for_function(SHOWN_JS, arg=gid)
            t2 = time.perf_counter()
            acked.append(t1 - t0)
            shown.append(t2 - t0)
        browser.close()
    return {"shown": shown, "acked": acked}


def overlay_figures(set_dir: Path, ref, ids: list[str], n: int = 200) -> None:  # type: ignore[no-untyped-def]
    """Coloured share of ink in the overlay of each gaiji with its first candidate: raw
    (unaligned, every pixel that differs) against aligned with 1-px fringes suppressed."""
    from gaiji.review.gaijiset import load_glyphs
    from gaiji.review.pictures import (
        OVERLAY_SIZE,
        Pictures,
        aligned_overlay,
        colour_overlay,
        coloured_share,
        overlay_mask,
    )

    glyphs = load_glyphs(set_dir)
    pictures = Pictures(set_dir, ref)
    raw, aligned, t_raw, t_aligned = [], [], [], []
    for gid in ids[:n]:
        glyph = glyphs[gid]
        g = overlay_mask(pictures.gaiji_picture(glyph.image))
        c = overlay_mask(pictures.candidate_picture(glyph.candidates[0].mj, OVERLAY_SIZE))
        t0 = time.perf_counter()
        raw.append(coloured_share(colour_overlay(g, c)))
        t1 = time.perf_counter()
        aligned.append(coloured_share(aligned_overlay(g, c)))
        t2 = time.perf_counter()
        t_raw.append(t1 - t0)
        t_aligned.append(t2 - t1)
    mean = lambda xs: sum(xs) / len(xs)
    print(f"overlay, {len(raw)} gaiji with their first candidate: coloured share of ink "
          f"raw {mean(raw):.2f} → aligned + fringes suppressed {mean(aligned):.2f}; "
          f"time per overlay raw {1000 * mean(t_raw):.2f} ms, aligned {1000 * mean(t_aligned):.2f} ms")


def start_server(set_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:  # type: ignore[type-arg]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gaiji", "review", "serve", str(set_dir), "--port", "0", "--no-browser"],
        stderr=subprocess.PIPE, text=True, cwd=REPO, env=env,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r":(\d+)/", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"server did not start: {line} {proc.stderr.read()}")
    return proc, int(match.group(1))


def check_record(set_dir: Path, sent: list[tuple[str, str]], extra: int) -> bool:
    store = ReviewStore.open(set_dir)
    stored: dict[str, list[str]] = {}
    decisions = 0
    for event in store.events():
        if event.kind in ("decision", "settle"):
            decisions += 1
            stored.setdefault(event.request_id or "", []).append(event.hash)
    lost = [rid for rid, h in sent if stored.get(rid) != [h]]
    duplicated = [rid for rid, hs in stored.items() if rid and len(hs) > 1]
    chain = store.verify_chain()
    print(f"  record: acknowledged {len(sent) + extra}, stored {decisions}, lost {len(lost)}, "
          f"duplicated {len(duplicated)}; chain {'verified (hashes + signatures)' if chain.ok else 'BROKEN'} "
          f"({chain.count} events); states {store.counts()}")
    return not lost and not duplicated and decisions == len(sent) + extra and chain.ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gaiji", type=int, default=600)
    parser.add_argument("--reviewers", type=int, nargs="+", default=[5, 20], help="reviewer counts, one phase each")
    parser.add_argument("--decisions", type=int, default=40, help="per reviewer (bounded)")
    parser.add_argument("--think", type=float, default=1.5,
                        help="mean seconds a reviewer looks at a gaiji before deciding (0: tight loop)")
    parser.add_argument("--disagree", type=float, default=0.05, help="share of decisions picking the 2nd candidate")
    parser.add_argument("--seconds", type=float, default=120, help="time bound per phase")
    parser.add_argument("--stress-decisions", type=int, default=15,
                        help="per reviewer in the extra zero-think phase at the largest count (0: skip)")
    parser.add_argument("--browser-decisions", type=int, default=30, help="decisions made in headless Chromium")
    parser.add_argument("--no-browser", action="store_true", help="skip the headless-Chromium phase")
    args = parser.parse_args()

    ref = load_reference()
    ok = True
    with tempfile.TemporaryDirectory(prefix="gaiji-review-load-") as tmp:
        env = {**os.environ, "GAIJI_REVIEW_KEY": str(Path(tmp) / "desk-key.pem")}  # never the user's own key
        os.environ["GAIJI_REVIEW_KEY"] = env["GAIJI_REVIEW_KEY"]
        template = build_set(Path(tmp) / "template", args.gaiji, ref)
        ids = [row["gaiji_id"] for row in csv.DictReader((template / "glyphs.csv").open(encoding="utf-8"))]
        print(f"set: {len(ids)} gaiji, reference {ref.version_label}, {os.cpu_count()} CPUs, "
              f"think {args.think} s, disagree {args.disagree}")
        overlay_figures(template, ref, ids)

        # baseline: the store alone, in-process (no HTTP): the cost of a durable, signed commit
        base_dir = Path(tmp) / "store-only"
        base_dir.mkdir()
        shutil.copy(template / "glyphs.csv", base_dir / "glyphs.csv")
        store = ReviewStore.open(base_dir)
        commit = []
        for k in range(200):
            t0 = time.perf_counter()
            store.record_decision(ids[k % len(ids)], f"base{k % 2}", {"mj": "MJ025760"}, "字形一致")
            commit.append(time.perf_counter() - t0)
        print(f"baseline, ReviewStore.record_decision in-process (200 commits): "
              f"p50 {1000 * pct(commit, 50):.2f} ms   p95 {1000 * pct(commit, 95):.2f} ms")

        phases = [(n, args.think, args.decisions) for n in args.reviewers]
        if args.stress_decisions:
            phases.append((max(args.reviewers), 0.0, args.stress_decisions))
        for number, (n, think, decisions) in enumerate(phases):
            set_dir = Path(tmp) / f"phase{number}"
            shutil.copytree(template, set_dir)
            proc, port = start_server(set_dir, env)
            sent: list[tuple[str, str]] = []
            browser_decisions = 0
            try:
                Reviewer(port, "warmup").get("/api/queue")
                if number == 0:
                    single = run_load(port, ids[::-1], 1, decisions, args.seconds, "one", think=0.0)
                    report("baseline, 1 reviewer, no pause (pictures cold)", single)
                    sent += single["acked"]
                    ok = ok and not single["errors"] and not single["unexplained"]
                label = f"{n} concurrent reviewers, " + (f"~{think} s per gaiji" if think else "no pause (stress)")
                res = run_load(port, ids, n, decisions, args.seconds, f"p{number}", think=think, disagree=args.disagree)
                report(label, res)
                sent += res["acked"]
                ok = ok and not res["errors"] and not res["unexplained"]
                if number == 0 and not args.no_browser:
                    bg: dict = {}
                    job = functools.partial(run_load, port, list(reversed(ids)), n - 1, decisions, args.seconds,
                                            "bg", think=think)
                    bg_thread = threading.Thread(target=lambda job=job, bg=bg: bg.update(job()))
                    bg_thread.start()
                    page = browser_reviewer(port, args.browser_decisions, args.seconds)
                    bg_thread.join()
                    ms = lambda xs, q: 1000 * pct(xs, q)
                    print(f"browser reviewer + {n - 1} HTTP reviewers: {len(page['shown'])} decisions by keyboard")
                    print(f"  keypress → decision confirmed on the page p50 {ms(page['acked'], 50):7.1f} ms   p95 {ms(page['acked'], 95):7.1f} ms")
                    print(f"  keypress → next gaiji shown with pictures p50 {ms(page['shown'], 50):7.1f} ms   p95 {ms(page['shown'], 95):7.1f} ms")
                    sent += bg["acked"]
                    ok = ok and not bg["errors"] and not bg["unexplained"]
                    browser_decisions = len(page["acked"])
            finally:
                proc.terminate()
                proc.wait(10)
            ok = check_record(set_dir, sent, browser_decisions) and ok
    print("result:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
