"""IVS variants drawn in designs other than IPAmj's: where "which variant?" is really asked.

An IVS sequence (base character + selector) is registered once in the Ideographic Variation
Database, shared between collections only where the glyph is the same; so any font's glyph for a
sequence IPAmj also has is a drawing of that very MJ glyph, in the font's own design. The matcher's
variant queries for training and calibration are IPAmj's own variant glyphs, degraded
(:mod:`gaiji.match.training`); drawn by other hands the detail that tells siblings apart (a dot,
犬 / 大, a stroke that touches) is drawn the design's way, and the verifier is surer of the
variant than it is right. Fonts with Moji_Joho sequences are few; installed here, outside the
benchmark (which draws its ``ivs`` subset from Hanazono):

* **BabelStone Han** (Debian ``fonts-babelstone-han``): in no other split. Its variant glyphs of
  the *calibration* variant characters fit the variant temperature
  (:func:`gaiji.match.trust.fit_variant_temperature`);
* **VL Gothic**: a projection training font whose variant glyphs nothing learns from or is
  fitted on — a check only (``benchmarks/heldout_variants.py``).

BIZ UD and IPAex have IVS too, but none of their sequences is an MJ glyph's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gaiji.match.projection import FontSpec

_FONTS = Path("/usr/share/fonts")
#: fits the variant temperature (its glyphs of calibration variant characters only)
CALIBRATION_VARIANT_FONTS = (FontSpec("BabelStoneHan", _FONTS / "truetype/babelstone/BabelStoneHan.ttf", "mincho"),)
#: a check: nothing learns from or is fitted on its variant glyphs
CHECK_VARIANT_FONTS = (FontSpec("VLGothic", _FONTS / "truetype/vlgothic/VL-Gothic-Regular.ttf", "gothic"),)
SEED = 11
#: how the model's font split names what the variant temperature is fitted on
SPLIT_ENTRY = "BabelStoneHan (variant glyphs: the variant temperature only)"
#: how each sequence is drawn: an antialiased outline and a 1-bit bitmap, sizes drawn per sequence
DRAWINGS = (("outline", 48, 129, True), ("bitmap", 20, 33, False))


def model_variant_split(model_dir: Path) -> tuple[set[str], set[str]]:
    """(variant characters the verifier learnt from, those calibration read), from a model's
    ``training_chars.txt`` (a header, then projection, calibration, variant-training and
    variant-calibration characters, a line each)."""
    lines = (Path(model_dir) / "training_chars.txt").read_text(encoding="utf-8").splitlines()
    if len(lines) < 5:
        raise ValueError(f"{Path(model_dir) / 'training_chars.txt'}: expected a header and four lines of characters")
    return set(lines[3]), set(lines[4])


def variant_design_queries(index: Any, has_glyph: np.ndarray, fonts: tuple[FontSpec, ...], chars: set[str],
                           ) -> dict[str, np.ndarray]:
    """Every Moji_Joho sequence of ``fonts`` that is an MJ glyph of a variant character in
    ``chars``, drawn as :data:`DRAWINGS`: ``rasters``, ``sides``, ``answers`` (MJ rows),
    ``font`` (position in ``fonts``), ``drawing`` and ``char`` (the base character). Fonts not
    installed are skipped."""
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.synth import FontRenderer, variation_sequences
    from gaiji.match.training import variant_rows

    has = np.asarray(has_glyph, bool)
    variants = variant_rows(index.rows, has)
    by_sequence = {(ord(r.char[0]), ord(r.char[1])): i for i, r in enumerate(index.rows)
                   if r.ivs and len(r.char) == 2 and has[i]}
    out: dict[str, list[Any]] = {k: [] for k in ("rasters", "sides", "answers", "font", "drawing", "char")}
    for f, spec in enumerate(fonts):
        if not spec.path.is_file():
            continue
        renderer = FontRenderer(spec)
        for (base, selector), glyph in sorted(variation_sequences(spec.path).items()):
            row = by_sequence.get((base, selector))
            char = chr(base)
            if row is None or char not in variants or char not in chars:
                continue
            text = char if glyph is None else char + chr(selector)
            rng = np.random.default_rng([SEED, f, base, selector])
            for drawing, low, high, antialias in DRAWINGS:
                img = renderer.render(text, int(rng.integers(low, high)), antialias=antialias)
                if img is None or img.max() == 0:
                    continue
                raster, side = query_raster_and_side(img)
                for key, value in (("rasters", raster), ("sides", side), ("answers", row), ("font", f),
                                   ("drawing", drawing), ("char", char)):
                    out[key].append(value)
    if not out["rasters"]:
        return {"rasters": np.zeros((0, 64, 64), np.uint8), "sides": np.zeros(0, np.int64),
                "answers": np.zeros(0, np.int64), "font": np.zeros(0, np.int64),
                "drawing": np.zeros(0, str), "char": np.zeros(0, str)}
    return {k: np.asarray(v) for k, v in out.items()}


def variant_factors(ranked: Any) -> np.ndarray:
    """Per gaiji, the trust model's variant factor P(this variant | the character):
    ``confidence`` / ``ucs_confidence`` (confidence is their product; NaN where the character
    factor is 0)."""
    conf = np.asarray(ranked.confidence, np.float64)[:, 0]
    ucs = np.asarray(ranked.ucs_confidence, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ucs > 0, conf / ucs, np.nan)


def fit_variant_temperature_on_designs(index: Any, has_glyph: np.ndarray, chars: set[str],
                                       fonts: tuple[FontSpec, ...] = CALIBRATION_VARIANT_FONTS) -> tuple[float, dict[str, Any]]:
    """The variant temperature fitted on ``fonts``' variant glyphs of ``chars`` (their character
    ranked first with another variant on the shortlist), with the index's trust model as fitted
    (temperature 1): ``(temperature, what it was fitted on)``."""
    import dataclasses

    from gaiji.match.trust import fit_variant_temperature
    from gaiji.match.verified import rank_rasters_verified

    if index.trust is None:
        raise ValueError("the index has no trust model to temper")
    q = variant_design_queries(index, has_glyph, fonts, chars)
    if len(q["answers"]) == 0:
        raise RuntimeError("no variant glyphs in another design to fit the variant temperature on: "
                           f"install {', '.join(str(f.path) for f in fonts)} (bash scripts/setup.sh --test)")
    saved = index.trust
    index.trust = dataclasses.replace(saved, variant_temperature=1.0)
    try:
        ranked = rank_rasters_verified(index, q["rasters"], top_k=10, sides=q["sides"])
    finally:
        index.trust = saved
    answers = q["answers"]
    rank1 = ranked.rows[:, 0]
    char_right = index.groups[rank1] == index.groups[answers]
    contested = np.array([s.endswith("/siblings") for s in ranked.stratum])  # a sibling on the shortlist
    factor = variant_factors(ranked)
    use = char_right & contested & np.isfinite(factor)
    t = fit_variant_temperature(factor[use], rank1[use] == answers[use])
    info = {"temperature": round(t, 4), "fonts": [f.name for f in fonts if f.path.is_file()],
            "characters": "variant characters of the calibration split", "queries": len(answers),
            "fitted_on": int(use.sum()), "variant_right": round(float((rank1[use] == answers[use]).mean()), 4),
            "mean_factor_before": round(float(factor[use].mean()), 4)}
    return t, info
