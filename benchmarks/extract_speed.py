"""Extraction speed and memory on fonts of 1,000 and 10,000 gaiji (target ≥ 1,000 glyphs/s
on one core; memory flat in the number of glyphs).

    python benchmarks/extract_speed.py [--glyphs 10000] [--small 1000] [--px 64]

Builds TrueType fonts with fontTools FontBuilder (each glyph 6–12 random rectangles, some
with holes, ~40 points — about a simple kanji), then runs, each in a fresh process pinned
to one CPU core:

* ``extract``   — ``gaiji.extract.extract_gaiji_set`` end to end (FreeType render, blank and
  duplicate checks, PNG per glyph, glyphs.csv, provenance with SHA-256, atomic directory);
* ``baseline``  — the bare FreeType render loop alone (no files written): the ceiling;
* ``naive``     — render every glyph into a list first, then write (what streaming avoids):
  its peak memory grows with the number of glyphs.

Prints glyphs/s and peak RSS (MB) per run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_font(path: Path, n: int, seed: int = 1) -> Path:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    rng = random.Random(seed)
    codes = [0xE000 + i for i in range(min(n, 0x1900))]
    codes += [0xF0000 + i for i in range(n - len(codes))]
    names = [".notdef"] + [f"g{c:05X}" for c in codes]
    glyphs = {".notdef": TTGlyphPen(None).glyph()}
    lsb = {".notdef": 0}
    for c in codes:
        pen = TTGlyphPen(None)
        xmin = 1000
        for _ in range(rng.randint(6, 12)):
            x0, y0 = rng.randrange(50, 800), rng.randrange(-100, 700)
            x1, y1 = x0 + rng.randrange(40, 200), y0 + rng.randrange(40, 200)
            xmin = min(xmin, x0)
            for pts in ([(x0, y0), (x0, y1), (x1, y1), (x1, y0)],) + (
                ([(x0 + 15, y0 + 15), (x1 - 15, y0 + 15), (x1 - 15, y1 - 15), (x0 + 15, y1 - 15)],)
                if rng.random() < 0.3
                else ()
            ):
                pen.moveTo(pts[0])
                for p in pts[1:]:
                    pen.lineTo(p)
                pen.closePath()
        glyphs[f"g{c:05X}"] = pen.glyph()
        lsb[f"g{c:05X}"] = xmin
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({c: f"g{c:05X}" for c in codes})
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({nm: (1000, lsb[nm]) for nm in names})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "BenchEUDC", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return path


def child(mode: str, font: Path, out: Path, px: int) -> dict[str, float]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from gaiji.extract import ExtractOptions, extract_gaiji_set
    from gaiji.extract.fonts import read_font

    t0 = time.perf_counter()
    if mode == "extract":
        summary = extract_gaiji_set([font], out, options=ExtractOptions(px=px))
        n = summary.glyph_count
    elif mode == "baseline":
        n = sum(1 for _ in read_font(font, px=px))
    else:  # naive: hold everything, then write
        glyphs = list(read_font(font, px=px))
        out.mkdir(parents=True, exist_ok=True)
        for g in glyphs:
            g.image.save(out / f"{g.gaiji_id}.png")
        n = len(glyphs)
    dt = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"glyphs": n, "seconds": dt, "glyphs_per_s": n / dt, "peak_rss_mb": peak_mb}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--glyphs", type=int, default=10_000)
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--px", type=int, default=64)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "FONT", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, font, out = args.child
        print(json.dumps(child(mode, Path(font), Path(out), args.px)))
        return

    with tempfile.TemporaryDirectory(prefix="gaiji-bench-") as tmp:
        work = Path(tmp)
        fonts = {}
        for n in (args.small, args.glyphs):
            t0 = time.perf_counter()
            fonts[n] = build_font(work / f"bench{n}.ttf", n)
            print(
                f"built {n:,}-glyph font in {time.perf_counter() - t0:.1f} s "
                f"({fonts[n].stat().st_size / 1e6:.1f} MB)"
            )
        print(f"extract speed, px={args.px}, one core, Python {sys.version.split()[0]}")
        print(f"{'run':<10} {'glyphs':>7} {'seconds':>8} {'glyphs/s':>9} {'peak RSS MB':>12}")
        for mode in ("baseline", "extract", "naive"):
            for n in (args.small, args.glyphs):
                out = work / f"out-{mode}-{n}"
                res = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--px",
                        str(args.px),
                        "--child",
                        mode,
                        str(fonts[n]),
                        str(out),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                r = json.loads(res.stdout.strip().splitlines()[-1])
                print(
                    f"{mode:<10} {r['glyphs']:>7,} {r['seconds']:>8.2f} {r['glyphs_per_s']:>9,.0f} {r['peak_rss_mb']:>12.1f}"
                )


if __name__ == "__main__":
    main()
