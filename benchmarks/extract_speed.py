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
  its peak memory grows with the number of glyphs;
* ``extract-bdf`` — the same pipeline on a 16 px BDF font of as many glyphs.

Prints glyphs/s (fastest of ``--repeat`` runs, as other work shares the CPU) and peak RSS
(MB, largest of the runs) per row.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
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


def build_bdf(path: Path, n: int, seed: int = 2, size: int = 16) -> Path:
    """A 16 px BDF font of *n* random glyphs on consecutive codes from 0x2121."""
    rng = random.Random(seed)
    lines = [
        "STARTFONT 2.1",
        f"FONT -bench-gaiji-medium-r-normal--{size}-160-75-75-c-160-jisx0208.1983-0",
        f"SIZE {size} 75 75",
        f"FONTBOUNDINGBOX {size} {size} 0 -2",
        "STARTPROPERTIES 4",
        'CHARSET_REGISTRY "JISX0208.1983"',
        'CHARSET_ENCODING "0"',
        "FONT_ASCENT 14",
        "FONT_DESCENT 2",
        "ENDPROPERTIES",
        f"CHARS {n}",
    ]
    for i in range(n):
        code = 0x2121 + (i // 94) * 256 + i % 94
        rows = [f"{rng.getrandbits(16):04X}" for _ in range(size)]
        lines += [
            f"STARTCHAR c{i}",
            f"ENCODING {code}",
            "SWIDTH 1000 0",
            f"DWIDTH {size} 0",
            f"BBX {size} {size} 0 -2",
            "BITMAP",
            *rows,
            "ENDCHAR",
        ]
    lines.append("ENDFONT")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def child(mode: str, font: Path, out: Path, px: int) -> dict[str, float]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from gaiji.extract import ExtractOptions, extract_gaiji_set
    from gaiji.extract.fonts import read_font

    t0 = time.perf_counter()
    if mode in ("extract", "extract-bdf"):
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
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per row; the fastest is shown (others share the CPU)",
    )
    ap.add_argument("--child", nargs=3, metavar=("MODE", "FONT", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, font, out = args.child
        print(json.dumps(child(mode, Path(font), Path(out), args.px)))
        return

    with tempfile.TemporaryDirectory(prefix="gaiji-bench-") as tmp:
        work = Path(tmp)
        fonts = {}
        bdfs = {n: build_bdf(work / f"bench{n}.bdf", n) for n in (args.small, args.glyphs)}
        for n in (args.small, args.glyphs):
            t0 = time.perf_counter()
            fonts[n] = build_font(work / f"bench{n}.ttf", n)
            print(
                f"built {n:,}-glyph font in {time.perf_counter() - t0:.1f} s "
                f"({fonts[n].stat().st_size / 1e6:.1f} MB)"
            )
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"extract speed, px={args.px}, one core, best of {args.repeat}, "
            f"Python {sys.version.split()[0]}, load average {load:.1f}"
        )
        print(f"{'run':<12} {'glyphs':>7} {'seconds':>8} {'glyphs/s':>9} {'peak RSS MB':>12}")
        for mode in ("baseline", "extract", "naive", "extract-bdf"):
            for n in (args.small, args.glyphs):
                out = work / f"out-{mode}-{n}"
                source = bdfs[n] if mode == "extract-bdf" else fonts[n]
                runs = []
                for _ in range(args.repeat):
                    shutil.rmtree(out, ignore_errors=True)
                    res = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--px",
                            str(args.px),
                            "--child",
                            mode,
                            str(source),
                            str(out),
                        ],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
                r = min(runs, key=lambda x: x["seconds"])
                r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs)
                print(
                    f"{mode:<12} {r['glyphs']:>7,} {r['seconds']:>8.2f} {r['glyphs_per_s']:>9,.0f} {r['peak_rss_mb']:>12.1f}"
                )


if __name__ == "__main__":
    main()
