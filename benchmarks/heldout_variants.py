#!/usr/bin/env python3
"""Match v2 on IVS variants drawn in designs it never saw variants in — "which variant?" off IPAmj.

    python benchmarks/heldout_variants.py [--json]

An IVS sequence (base character + selector) is registered once in the Ideographic Variation
Database, shared between collections only where the glyph is the same; so a font's glyph for a
sequence that IPAmj also has is a drawing of that same MJ glyph, in the font's own design. The
matcher's variant training and calibration queries are IPAmj's own variant glyphs, degraded
(``gaiji/match/training.py``), and the benchmark's ``ivs`` subset is Hanazono Mincho: this check
asks the same question of other designs. Fonts with Moji_Joho sequences are few; those installed
here, outside the benchmark:

* **BabelStone Han** (Debian ``fonts-babelstone-han``): in no split of the matcher;
* **VL Gothic**: a training font of the projections, whose variant glyphs were never learnt from
  (the one-glyph characters were).

(BIZ UD and IPAex have IVS too, but none of their sequences is one of IPAmj's MJ glyphs; Noto
CJK and Hanazono are benchmark fonts.) Characters: every variant character (two or more MJ
glyphs reached by an IVS) the verifier did not learn from — those calibrated on (IPAmj glyphs
only) and those kept for the benchmark, reported apart. Each sequence is drawn as an outline
(48–128 px, antialiased) and as a 1-bit bitmap (20–32 px), matched without ledger readings, and
the script prints per font and drawing:

* ``MJ@1`` — the right variant first; ``UCS@1`` — the right character first, any variant;
* ``MJ@2`` — the right variant among the first two;
* ``auto`` / ``wrong`` — how many were auto-accepted, and how many of those were not the answer
  (each one a resident's character silently changed to a sibling; the promise is none).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FONTS = Path("/usr/share/fonts")
#: (name, file, style): designs with Moji_Joho sequences the matcher learnt no variant from
HELD_OUT_FONTS = (
    ("BabelStone Han", FONTS / "truetype/babelstone/BabelStoneHan.ttf", "mincho"),
    ("VL Gothic", FONTS / "truetype/vlgothic/VL-Gothic-Regular.ttf", "gothic"),
)
SEED = 11


def model_splits(model_dir: Path) -> tuple[set[str], set[str]]:
    """The variant characters the verifier learnt from and those calibration read, from the
    shipped model's ``training_chars.txt`` (lines: projection, calibration, variant training,
    variant calibration)."""
    lines = (model_dir / "training_chars.txt").read_text(encoding="utf-8").splitlines()
    if len(lines) < 5:
        raise SystemExit(f"{model_dir / 'training_chars.txt'}: expected a header and four lines of characters")
    return set(lines[3]), set(lines[4])


def sequences(path: Path) -> dict[tuple[int, int], str | None]:
    """The font's IVS sequences: (base, selector) → glyph name (None: the base character's glyph)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), lazy=True)
    out: dict[tuple[int, int], str | None] = {}
    for table in font["cmap"].tables:
        if table.format == 14:
            for selector, pairs in table.uvsDict.items():
                for base, glyph in pairs:
                    out[(base, selector)] = glyph
    return out


def queries(index, reference) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Rendered queries of every held-out font: rasters, sides, answers and tags."""
    from gaiji.match.index import MODEL_DIR
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.projection import FontSpec
    from gaiji.match.synth import FontRenderer
    from gaiji.match.training import variant_rows

    learnt, calibrated = model_splits(MODEL_DIR)
    has = np.asarray(reference.has_glyph, bool)
    variants = variant_rows(index.rows, has)
    by_sequence = {(ord(r.char[0]), ord(r.char[1])): i for i, r in enumerate(index.rows)
                   if r.ivs and len(r.char) == 2 and has[i]}
    out: dict[str, list] = {k: [] for k in ("rasters", "sides", "answers", "font", "drawing", "split")}
    for f, (name, path, style) in enumerate(HELD_OUT_FONTS):
        if not path.is_file():
            print(f"{name}: {path} not installed, skipped", file=sys.stderr)
            continue
        renderer = FontRenderer(FontSpec(name, path, style))
        for (base, selector), glyph in sorted(sequences(path).items()):
            row = by_sequence.get((base, selector))
            char = chr(base)
            if row is None or char not in variants or char in learnt:
                continue
            text = char if glyph is None else char + chr(selector)
            rng = np.random.default_rng([SEED, f, base, selector])
            for drawing, px, antialias in (("outline", int(rng.integers(48, 129)), True),
                                           ("bitmap", int(rng.integers(20, 33)), False)):
                img = renderer.render(text, px, antialias=antialias)
                if img is None or img.max() == 0:
                    continue
                raster, side = query_raster_and_side(img)
                for key, value in (("rasters", raster), ("sides", side), ("answers", row), ("font", f),
                                   ("drawing", drawing), ("split", "calibrated" if char in calibrated else "benchmark")):
                    out[key].append(value)
    if not out["rasters"]:
        raise SystemExit("no held-out variant glyphs: install fonts-babelstone-han / fonts-vlgothic")
    return {k: np.asarray(v) for k, v in out.items()}


def run() -> list[dict]:
    from gaiji.match.index import load_match_index
    from gaiji.match.verified import rank_rasters_verified
    from gaiji.reference import load_reference

    reference = load_reference()
    index = load_match_index(reference)
    q = queries(index, reference)
    ranked = rank_rasters_verified(index, q["rasters"], top_k=10, sides=q["sides"])
    answers, groups = q["answers"], index.groups
    first = ranked.rows[:, 0] == answers
    auto = np.asarray(ranked.auto_accept, bool)
    rows = []
    for f, (name, _, _) in enumerate(HELD_OUT_FONTS):
        for drawing in ("outline", "bitmap"):
            for split in ("calibrated", "benchmark", "all"):
                m = (q["font"] == f) & (q["drawing"] == drawing) & ((q["split"] == split) | (split == "all"))
                if not m.any():
                    continue
                wrong = auto & ~first & m
                rows.append({
                    "font": name, "drawing": drawing, "characters": split, "queries": int(m.sum()),
                    "mj_at_1": round(float(first[m].mean()), 4),
                    "mj_at_2": round(float((ranked.rows[m, :2] == answers[m, None]).any(axis=1).mean()), 4),
                    "ucs_at_1": round(float((groups[ranked.rows[m, 0]] == groups[answers[m]]).mean()), 4),
                    "auto": int((auto & m).sum()), "auto_wrong": int(wrong.sum()),
                    "wrong_examples": [f"{index.rows[int(answers[i])].mj}→{index.rows[int(ranked.rows[i, 0])].mj}"
                                       for i in np.flatnonzero(m & ~first)[:4]],
                })
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(f"{'font':15s} {'drawing':8s} {'characters':10s} {'n':>4s} | {'MJ@1':>6s} {'MJ@2':>6s} {'UCS@1':>6s} |"
          f" {'auto':>4s} {'wrong':>5s}  examples of a wrong variant first")
    for r in rows:
        print(f"{r['font']:15s} {r['drawing']:8s} {r['characters']:10s} {r['queries']:4d} | {r['mj_at_1']:6.3f}"
              f" {r['mj_at_2']:6.3f} {r['ucs_at_1']:6.3f} | {r['auto']:4d} {r['auto_wrong']:5d}  {' '.join(r['wrong_examples'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
