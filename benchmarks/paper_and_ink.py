#!/usr/bin/env python3
"""The benchmark's pictures as scans and photos really come: pale, on grey paper, unevenly lit —
through `gaiji match` as a user runs it.

    gaiji bench match --per-subset 1000 --keep /tmp/bench        # once: a labelled set on disk
    GAIJI_HOME=glyph_db python benchmarks/paper_and_ink.py /tmp/bench/set [--n 1500] [--json]

Every picture of the benchmark's generated subsets has full-strength black ink on white paper.
Scanned ledgers and phone photos do not. This takes ``--n`` pictures of the subsets drawn at
48 px and more (outlines, scans, hand-drawn, other designs; fixed seed) and redraws each, from its
ink, in other grey levels: the same ink on white (the reference row), grey ink on grey paper,
pale pencil, black on dark-grey paper, and black on paper lit unevenly (a linear fall-off to
55 %, and a vignette); and as many glyphs of the real bitmap fonts (Shinonome, jksp; 12–16 px)
as drawn and enlarged pixel by pixel (×2; ×4 with a margin), as gaiji images are often exported.
The same pictures, black on white, also get pen and seal marks in colour as reviewers and
offices leave them on printed lists (a red circle round the glyph, a vermilion seal over a corner,
a blue tick across it; colours multiplied over the ink, as inks layer), and are drawn wholly in red
ink (a glyph whose colour is its own). And as cells cut off a scanned table's grid: the picture
cut just right of the glyph's ink, then 4 px of paper, then the left quarter of another of the
pictures (fixed seed) running into the edge. ``--only WORDS`` runs the variants whose names contain one
of the comma-separated words. Each variant is a gaiji set of its own, matched with ``gaiji match``
in a new process; it prints
MJ@1, the gaiji auto-accepted and how many of those are wrong, 該当なし suggested
(``no_match`` ≥ 0.2) and pictures taken for blank.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SUBSETS = ("outline_mincho", "outline_gothic", "scan", "hand", "other_designs")
BITMAP_SUBSETS = ("font_12px", "font_14px", "font_16px")
#: name → (whole factor, margin of paper in pixels): real bitmap fonts' glyphs enlarged pixel by pixel
ENLARGED = {"bitmap as drawn": (1, 0), "enlarged ×2": (2, 0), "enlarged ×4, 3 px margin": (4, 3)}
#: name → (paper grey, ink grey, illumination over the picture or None); 0 = black, 255 = white
VARIANTS = {
    "black on white": (255, 0, None),
    "grey ink, grey paper": (215, 110, None),
    "pale pencil": (240, 170, None),
    "black on dark-grey paper": (90, 0, None),
    "light falling off to 55 %": (255, 40, "linear"),
    "vignette to 55 %": (255, 40, "vignette"),
}


#: name → how the colour marks are drawn over the black glyph (see write_marked)
MARKED = ("red circle round it", "red seal over a corner", "blue tick across it", "glyph in red ink")


def _marks_layer(kind: str, h: int, w: int) -> Image.Image:
    """White paper with the marks of ``kind`` in colour (multiplied over the glyph)."""
    from PIL import ImageDraw

    layer = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(layer)
    side = min(h, w)
    pen = max(2, side // 32)
    if kind == "red circle round it":
        draw.ellipse((w * 0.04, h * 0.04, w * 0.96, h * 0.96), outline=(205, 35, 45), width=pen)
    elif kind == "red seal over a corner":
        box = (w * 0.55, h * 0.55, w * 1.05, h * 1.05)
        draw.ellipse(box, fill=(240, 150, 140))
        draw.ellipse(box, outline=(200, 40, 40), width=pen)
    elif kind == "blue tick across it":
        draw.line([(w * 0.2, h * 0.5), (w * 0.42, h * 0.78), (w * 0.85, h * 0.15)], fill=(40, 70, 200), width=pen + 1)
    return layer


def write_marked(src: Path, rows: list[dict[str, str]], out: Path, *, kind: str) -> None:
    from gaiji.render import ink_intensity

    (out / "glyphs").mkdir(parents=True)
    for r in rows:
        amount = ink_intensity(Image.open(src / r["image"]))[..., None]
        h, w = amount.shape[:2]
        ink = np.array((200, 30, 40) if kind == "glyph in red ink" else (0, 0, 0), np.float64)
        glyph = 255 * (1 - amount) + ink * amount
        layer = np.asarray(_marks_layer(kind, h, w), np.float64)
        rgb = glyph * layer / 255
        Image.fromarray(np.clip(np.round(rgb), 0, 255).astype(np.uint8), "RGB").save(out / r["image"])
    with (out / "glyphs.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


NEIGHBOUR = "a neighbour's piece at the edge"


def write_with_neighbour(src: Path, rows: list[dict[str, str]], out: Path, *, seed: int = 5) -> None:
    from gaiji.render import ink_intensity

    (out / "glyphs").mkdir(parents=True)
    rng = random.Random(seed)
    for r in rows:
        a = ink_intensity(Image.open(src / r["image"]))
        h, w = a.shape
        other = ink_intensity(Image.open(src / rng.choice(rows)["image"]))
        other = np.asarray(Image.fromarray(np.round(other * 255).astype(np.uint8)).resize((w, h))) / 255.0
        cols, mine = np.flatnonzero(other.max(axis=0) > 0.5), np.flatnonzero(a.max(axis=0) > 0.5)
        piece = other[:, cols[0] : cols[0] + max(2, w // 4)] if cols.size else np.zeros((h, 1))
        cut = a[:, : mine[-1] + 1] if mine.size else a
        ink = np.concatenate([cut, np.zeros((h, 4)), piece], axis=1)
        Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8)).save(out / r["image"])
    with (out / "glyphs.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _light(kind: str | None, h: int, w: int) -> np.ndarray:
    if kind is None:
        return np.ones((h, w))
    if kind == "linear":
        return np.linspace(1.0, 0.55, w)[None, :].repeat(h, 0)
    y, x = np.mgrid[0:h, 0:w]
    return 1.0 - 0.45 * (((y - h / 2) ** 2 + (x - w / 2) ** 2) / ((h / 2) ** 2 + (w / 2) ** 2))


def write_variant(src: Path, rows: list[dict[str, str]], out: Path, *, paper: int, ink: int, light: str | None) -> None:
    from gaiji.render import ink_intensity

    (out / "glyphs").mkdir(parents=True)
    for r in rows:
        amount = ink_intensity(Image.open(src / r["image"]))
        h, w = amount.shape
        grey = paper * _light(light, h, w) * (1 - amount) + ink * amount
        Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8)).save(out / r["image"])
    with (out / "glyphs.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_enlarged(src: Path, rows: list[dict[str, str]], out: Path, factor: int, margin: int) -> None:
    (out / "glyphs").mkdir(parents=True)
    for r in rows:
        a = np.asarray(Image.open(src / r["image"]).convert("L"))
        a = np.pad(np.kron(a, np.ones((factor, factor), np.uint8)), margin, constant_values=255)
        Image.fromarray(a).save(out / r["image"])
    with (out / "glyphs.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def score(candidates: Path, answers: dict[str, str], ids: list[str]) -> dict[str, float | int]:
    top = {}
    with candidates.open(encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            if r["rank"] == "1":
                top[r["gaiji_id"]] = r
    auto = [g for g, r in top.items() if r["auto_accept"] == "1"]
    return {
        "n": len(ids),
        "mj_at_1": round(sum(answers[g] == top[g]["mj"] for g in top) / len(ids), 4),
        "auto": len(auto),
        "auto_wrong": sum(answers[g] != top[g]["mj"] for g in auto),
        "no_match_suggested": sum(float(r["no_match"] or 0) >= 0.2 for r in top.values()),
        "blank": len(ids) - len(top),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set_dir", type=Path, help="a set kept by `gaiji bench match --keep DIR` (DIR/set)")
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated words: run the variants whose names contain one")
    args = parser.parse_args()
    src = args.set_dir
    with (src / "glyphs.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["note"] in SUBSETS]
    with (src / "answers.csv").open(encoding="utf-8", newline="") as handle:
        answers = {r["gaiji_id"]: r["mj"] for r in csv.DictReader(handle)}
    with (src / "glyphs.csv").open(encoding="utf-8", newline="") as handle:
        bitmaps = [r for r in csv.DictReader(handle) if r["note"] in BITMAP_SUBSETS]
    rows = random.Random(args.seed).sample(rows, min(args.n, len(rows)))
    bitmaps = random.Random(args.seed).sample(bitmaps, min(args.n, len(bitmaps)))
    variants = [(name, rows, functools.partial(write_variant, paper=p, ink=k, light=li))
                for name, (p, k, li) in VARIANTS.items()]
    variants += [(name, bitmaps, functools.partial(write_enlarged, factor=f, margin=m))
                 for name, (f, m) in ENLARGED.items()]
    variants += [(name, rows, functools.partial(write_marked, kind=name)) for name in MARKED]
    variants += [(NEIGHBOUR, rows, write_with_neighbour)]
    if args.only:
        words = [w.strip() for w in args.only.split(",") if w.strip()]
        variants = [v for v in variants if any(w in v[0] for w in words)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, chosen, write) in enumerate(variants):
            out = Path(tmp) / f"v{i}"
            write(src, chosen, out)
            candidates = out / "candidates.csv"
            subprocess.run([sys.executable, "-m", "gaiji", "match", str(out), "-o", str(candidates), "-q"],
                           check=True, env=os.environ.copy())
            results[name] = score(candidates, answers, [r["gaiji_id"] for r in chosen])
            shutil.rmtree(out / "glyphs")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    print(f"{'pictures':28s} {'n':>5s} {'MJ@1':>6s} {'auto':>5s} {'wrong':>5s} {'該当なし':>5s} {'blank':>5s}")
    for name, r in results.items():
        print(f"{name:28s} {r['n']:5d} {r['mj_at_1']:6.3f} {r['auto']:5d} {r['auto_wrong']:5d} "
              f"{r['no_match_suggested']:7d} {r['blank']:5d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
