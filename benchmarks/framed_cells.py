#!/usr/bin/env python3
"""Scanned ledger cells with their borders — `gaiji extract` then `gaiji match`, as they are
and cropped inside the borders (what extract's warning asks the user to do).

    GAIJI_HOME=glyph_db python benchmarks/framed_cells.py [--json] [--keep DIR]

A 外字台帳 scanned and cut into cells keeps the cells' ruled lines. This draws name kanji in
Hanazono Mincho (a design no split of the matcher learns or calibrates on; the benchmark's) in
120 px cells, as they come out of such a scan — a clean cell, a boxed cell, a cell cut on its
ruled lines, a top-and-left rule, an underline — and, for characters inside an enclosure,
the glyph cropped tight to its ink (whose enclosure looks like a border). Each kind is run
through the command line as a user runs it (`gaiji extract`, `gaiji match`), once as drawn,
once cropped 10 px inside the cell's edges, and once as drawn on a pale scan (grey 150 on 240). Per kind it prints how many pictures extract flags
as framed, how often the right character comes first (any variant: the cells draw Hanazono's
default glyph), how many gaiji are auto-accepted and how many of those wrongly.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: name kanji, most with no MJ variant to choose between
NAME_KANJI = "髙吉渡邊齋藤﨑濱櫻廣澤德惠龍鷗鶴嶋桒隆眞巖彌峯槇穗淵瀨禮條榮靜縣德兒曾實"
#: characters inside an enclosure (囗, 門): cropped tight, the enclosure runs along the edges
ENCLOSED = "國團圓園固圖"
KINDS = ("clean", "box", "cut_on_line", "top_left_rule", "underline")
CELL = 120


def _cell(ink: np.ndarray, kind: str) -> np.ndarray:
    """The glyph's ink (255 = ink) centred in a cell, with the kind's ruled lines; 255 = ink."""
    cell = np.zeros((CELL, CELL), np.uint8)
    y, x = (CELL - ink.shape[0]) // 2, (CELL - ink.shape[1]) // 2
    cell[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
    if kind == "box":
        cell[3:5, 3:-3] = cell[-5:-3, 3:-3] = 255
        cell[3:-3, 3:5] = cell[3:-3, -5:-3] = 255
    elif kind == "cut_on_line":
        cell[:2, :] = cell[-2:, :] = 255
        cell[:, :2] = cell[:, -2:] = 255
    elif kind == "top_left_rule":
        cell[1:3, :] = 255
        cell[:, 1:3] = 255
    elif kind == "underline":
        cell[CELL - 6 : CELL - 4, 2 : CELL - 2] = 255
    return cell


def _tight(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero((ink > 127).any(axis=1))
    cols = np.flatnonzero((ink > 127).any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def draw(folder: Path, *, cropped: bool, pale: bool = False) -> dict[str, tuple[str, str]]:
    """The pictures, black on white (``cropped``: 10 px inside the cells' edges; tight glyphs as
    they are; ``pale``: grey 150 on paper 240, as a pale scan): ``{gaiji_id: (kind, character)}``."""
    from gaiji.match.bench import HANAZONO_A
    from gaiji.match.synth import FontRenderer

    renderer = FontRenderer(HANAZONO_A)
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, tuple[str, str]] = {}
    for i, ch in enumerate(NAME_KANJI + ENCLOSED):
        ink = renderer.render(ch, 84)
        if ink is None:
            continue
        pictures = {kind: _cell(ink, kind) for kind in KINDS}
        if ch in ENCLOSED:
            pictures["enclosure_tight"] = _tight(ink)
        for kind, picture in pictures.items():
            if cropped and kind != "enclosure_tight":
                picture = picture[10:-10, 10:-10]
            gid = f"{kind}-{i:02d}"
            grey = 255 - picture if not pale else np.round(240 - 90 * (picture / 255.0)).astype(np.uint8)
            Image.fromarray(grey).save(folder / f"{gid}.png")
            truth[gid] = (kind, ch)
    return truth


def _gaiji(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gaiji", *args], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=os.environ.copy())


def run(work: Path) -> list[dict]:
    import logging

    from gaiji.extract import read_gaiji_set

    logging.getLogger("gaiji").setLevel(logging.ERROR)  # the framed warning is what this counts

    rows = []
    for name, cropped, pale in (("as_drawn", False, False), ("cropped", True, False), ("pale", False, True)):
        truth = draw(work / name, cropped=cropped, pale=pale)
        set_dir = work / f"set-{name}"
        _gaiji("extract", str(work / name), "-o", str(set_dir), "--replace")
        summary = json.loads((set_dir / "provenance.json").read_text(encoding="utf-8"))["summary"]
        flagged = set(summary.get("framed", []))
        cands = set_dir / "candidates.csv"
        _gaiji("match", str(set_dir), "-o", str(cands))
        first = {}
        with open(cands, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r["rank"] == "1":
                    first[r["gaiji_id"]] = r
        assert len(read_gaiji_set(set_dir).records) == len(truth)
        for kind in (*KINDS, "enclosure_tight"):
            ids = [g for g, (k, _) in truth.items() if k == kind]
            right = [first[g]["char"][:1] == truth[g][1] for g in ids]
            auto = [first[g]["auto_accept"] == "1" for g in ids]
            rows.append({
                "pictures": name, "kind": kind, "n": len(ids), "flagged": sum(g in flagged for g in ids),
                "right": sum(right), "auto": sum(auto), "auto_wrong": sum(a and not r for a, r in zip(auto, right)),
            })
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", type=Path, help="folder to keep the pictures, sets and candidates in")
    args = ap.parse_args()
    if args.keep:
        rows = run(args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = run(Path(tmp))
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'pictures':<9} {'cell':<16} {'n':>3} | {'flagged':>7} {'rank 1 right':>12} {'auto':>5} {'auto wrong':>10}")
    for r in rows:
        print(f"{r['pictures']:<9} {r['kind']:<16} {r['n']:>3} | {r['flagged']:>7} {r['right']:>12} {r['auto']:>5} {r['auto_wrong']:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
