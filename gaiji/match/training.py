"""Train the matcher's learned parts offline (``scripts/train_matcher.py``), reproducibly.

Font-level split (never mixed):

* **training fonts**: the two projections learn from
  :data:`gaiji.match.projection.TRAINING_FONTS` + IPAmj itself; the pairwise verifier from those
  and the Ume fonts (:data:`gaiji.match.projection.CALIBRATION_FONTS`, where the v1 matcher's
  calibration is fitted), which the projections never saw;
* **calibration fonts** (:data:`gaiji.match.projection.TRUST_FONTS`, BIZ UD Mincho / Gothic):
  the v2 confidence maps and auto-accept thresholds are fitted on them;
* **benchmark fonts** (:data:`gaiji.match.bench.BENCH_FONTS`): only ``gaiji bench`` uses them.

Characters are split too: the one-glyph characters of the projection, those of the
calibration, and variant characters (several MJ glyphs reachable through an IVS) split into
a training part, a calibration part (rendered from IPAmj with degradations — no calibration
font has Moji_Joho variants) and a part kept for the benchmark. Every character learned from
or calibrated on is listed in ``training_chars.txt`` and left out of the benchmark.

Everything is seeded: the same fonts, reference and seed give the same model files.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.match.index import (
    CALIBRATION_CHARS,
    SEED,
    TRAINING_CLASSES,
    build_match_index,
    open_match_index,
    reference_rows,
    unique_glyph_chars,
)
from gaiji.match.projection import (
    CALIBRATION_FONTS,
    SMALL_KIND_WEIGHTS,
    TRAINING_FONTS,
    TRUST_FONTS,
    VERIFIER_FONTS,
    FontSpec,
    build_projection,
    installed,
    render_variations,
)
from gaiji.progress import Progress, no_progress

#: degradations for variant queries rendered from IPAmj (the reference design itself, so no
#: clean outlines: the verifier must learn which differences survive a degradation)
VARIANT_KIND_WEIGHTS = {"bitmap": 0.3, "small_bitmap": 0.15, "scan": 0.2, "hand": 0.2, "elastic": 0.15}
VARIANT_SPLIT = (0.4, 0.3)
HIDDEN_SHARE = 0.35  # training queries whose character is hidden from the search
NEAR_TWIN_IOU = 0.75  # a hidden character whose nearest other MJ glyph overlaps it this much is a twin  # share of variant characters for training, for calibration; rest: benchmark


def variant_rows(rows: list[Any], has_glyph: np.ndarray) -> dict[str, list[int]]:
    """Characters with at least two MJ glyphs of which at least two are reachable by an IVS."""
    by_base: dict[str, list[int]] = {}
    for i, (r, has) in enumerate(zip(rows, has_glyph)):
        if has and r.base_char and len(r.base_char) == 1 and r.ivs:
            by_base.setdefault(r.base_char, []).append(i)
    return {c: v for c, v in by_base.items() if len(v) >= 2}


def render_variant_queries(
    font: FontSpec, rows: list[Any], row_ids: list[int], *, per_row: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Degraded renderings of IPAmj variant glyphs: ``(rasters, answer rows, ink sides)``."""
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.projection import sample_kinds
    from gaiji.match.synth import FontRenderer, render_query

    renderer = FontRenderer(font)
    rasters, answers, sides = [], [], []
    for n, row in enumerate(row_ids):
        rng = np.random.default_rng([seed, n])
        char = rows[row].char
        if not renderer.has(char):
            continue
        for kind in sample_kinds(rng, per_row, VARIANT_KIND_WEIGHTS):
            img = render_query(renderer, char, kind, rng)
            if img is None or img.max() == 0:
                continue
            raster, side = query_raster_and_side(img)
            rasters.append(raster)
            answers.append(row)
            sides.append(side)
    if not rasters:
        return np.zeros((0, 64, 64), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.stack(rasters), np.asarray(answers, np.int64), np.asarray(sides, np.int64)


#: real bitmap fonts the verifier also learns from (pixel designs, not FreeType renderings):
#: GNU Unifont's Japanese 16 px glyphs and Kaname 12 px (Debian fonts-unifont, xfonts-kaname);
#: the benchmark's bitmap fonts (Shinonome, JIS X 0212 fonts) are different designs
BITMAP_TRAINING_FONTS = (Path("/usr/share/fonts/opentype/unifont/unifont_jp.otf"),
                         Path("/usr/share/fonts/X11/misc/knmzn12x.pcf.gz"))


def bitmap_font_queries(index: Any, chars: list[str], *, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each character as drawn by the installed real bitmap fonts: ``(rasters, answers, sides)``."""
    from gaiji.match.bench import pcf_glyphs
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.synth import FontRenderer

    row_of = {r.base_char: i for i, r in enumerate(index.rows)}
    wanted = set(chars)
    sources: list[dict[str, np.ndarray]] = []
    for path in BITMAP_TRAINING_FONTS:
        if not path.is_file():
            continue
        if path.suffix == ".otf":  # a pixel font stored as outlines: render it at its own size
            r = FontRenderer(FontSpec(path.stem, path, "gothic"))
            sources.append({c: img for c in chars if (img := r.render(c, 16, antialias=False)) is not None})
        else:
            sources.append({c: g for c, g in pcf_glyphs(path).items() if c in wanted})
    rasters, answers, sides = [], [], []
    for glyphs in sources:
        for c, img in glyphs.items():
            if c in row_of and img.max() > 0:
                raster, side = query_raster_and_side(img)
                rasters.append(raster)
                answers.append(row_of[c])
                sides.append(side)
    if not rasters:
        return np.zeros((0, 64, 64), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.stack(rasters), np.asarray(answers, np.int64), np.asarray(sides, np.int64)


def _queries(index: Any, fonts: list[FontSpec], chars: list[str], *, per_font: int, seed: int,
             weights: dict[str, float] | None, progress: Progress, label: str,
             with_kinds: bool = False) -> tuple[np.ndarray, ...]:
    """Rendered queries ``(rasters, answers, sides)`` — and ``kinds`` (how each was drawn) with
    ``with_kinds``."""
    rasters, labels, kinds, sides = render_variations(fonts, chars, per_font=per_font, seed=seed, progress=progress,
                                                      label=label, weights=weights)
    row_of = {r.base_char: i for i, r in enumerate(index.rows)}
    answers = np.array([row_of.get(chars[c], -1) for c in labels], np.int64)
    keep = answers >= 0
    if with_kinds:
        return rasters[keep], answers[keep], sides[keep], np.asarray(kinds)[keep]
    return rasters[keep], answers[keep], sides[keep]


def pair_training_set(
    index: Any, rasters: np.ndarray, answers: np.ndarray, sides: np.ndarray, *, hide: np.ndarray | None = None,
    vectors: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Verifier features of every (query, shortlist row) pair and whether it is the answer.

    ``hide``: per query, whether its character is hidden from the search (the shortlist is
    then all look-alikes: hard negatives at every rank, as for a gaiji MJ lacks)."""
    from gaiji.match.features import glyph_features
    from gaiji.match.ranking import SHORTLIST, search_shortlist
    from gaiji.match.verified import VERIFY, verify_pairs

    xs, ys = [], []
    for i in range(0, len(rasters), 2048):
        r = rasters[i : i + 2048]
        raw = glyph_features(r)
        exclude = None
        if hide is not None:
            exclude = np.where(hide[i : i + 2048], index.groups[answers[i : i + 2048]], -1)
        short, small = search_shortlist(index, raw, sides[i : i + 2048], SHORTLIST, exclude_groups=exclude)
        feats = verify_pairs(index, short, small, raw, r, sides[i : i + 2048], VERIFY, vectors=vectors)
        xs.append(feats.reshape(-1, feats.shape[-1]))
        ys.append((short.rows[:, :VERIFY] == answers[i : i + 2048, None]).reshape(-1))
    return np.concatenate(xs), np.concatenate(ys)


def fit_verifier(x: np.ndarray, y: np.ndarray, *, seed: int, vectors: bool = True) -> tuple[Any, dict[str, Any]]:
    """A small MLP (scikit-learn) exported to :class:`gaiji.match.verify.Verifier`.

    ``vectors``: learn from the per-dimension vectors too (else the scalar features only)."""
    from sklearn.neural_network import MLPClassifier

    from gaiji.match.verify import SCALAR_DIM, Verifier

    columns = None if vectors else np.arange(SCALAR_DIM)
    if columns is not None and x.shape[1] != SCALAR_DIM:
        x = x[:, columns]

    mean = x.mean(axis=0)
    scale = np.maximum(x.std(axis=0), 1e-6)
    clf = MLPClassifier(hidden_layer_sizes=(128, 64) if vectors else (96, 48), alpha=1e-4, batch_size=512, learning_rate_init=1e-3,
                        max_iter=40, early_stopping=True, n_iter_no_change=5, random_state=seed)
    from threadpoolctl import threadpool_limits

    # one BLAS thread: sums in a fixed order, so a rerun gives the same weights on any machine
    # and under any load (with several threads the fit drifted between runs)
    with threadpool_limits(limits=1):
        clf.fit((x - mean) / scale, y.astype(int))
    verifier = Verifier(
        mean=mean.astype(np.float32), scale=scale.astype(np.float32),
        weights=tuple(w.astype(np.float32) for w in clf.coefs_),
        biases=tuple(b.astype(np.float32) for b in clf.intercepts_),
        columns=columns,
    )
    import sklearn

    info = {"method": f"MLP {clf.hidden_layer_sizes} ReLU, logistic output (scikit-learn MLPClassifier, early stopping)",
            "pairs": len(y), "positives": int(y.sum()), "epochs": int(clf.n_iter_),
            "validation_score": round(float(max(clf.validation_scores_)), 5), "sklearn": sklearn.__version__}
    return verifier, info


#: how calibration simulates ledger readings: share of gaiji whose ledger has no reading, and
#: share of readings that belong to another character (a ledger's mistake)
LEDGER_NO_READING = 0.25
LEDGER_WRONG_READING = 0.05
#: extra renderings per calibration font and character at 12–15 px (1-bit), for the ≤ 16 px strata
SMALL_CALIBRATION_PER_FONT = 3


def simulated_ledger(index: Any, answers: np.ndarray, *, seed: int) -> list[Any]:
    """A ledger reading per calibration query, as municipal ledgers have them: one reading of
    the query's own character (any of its MJ readings), none for :data:`LEDGER_NO_READING` of
    them, and another character's for :data:`LEDGER_WRONG_READING` — so that confidence learns
    how much an agreeing reading is worth, mistakes included."""
    from gaiji.match.fuse import ledger_readings
    from gaiji.match.ranking import QueryHints

    rng = np.random.default_rng(seed)
    rows = index.rows
    hints = []
    for answer in answers:
        draw = rng.random()
        if draw < LEDGER_WRONG_READING:
            row = int(rng.integers(len(rows)))
        elif draw < LEDGER_WRONG_READING + LEDGER_NO_READING:
            row = -1
        else:
            row = int(answer)
        readings = rows[row].readings if row >= 0 else ()
        if not readings:
            hints.append(QueryHints())
            continue
        reading = str(readings[int(rng.integers(len(readings)))])
        hints.append(QueryHints(readings=tuple(ledger_readings(reading))))
    return hints


def near_twins(index: Any, rows: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """Per pair, whether MJ glyph ``rows`` is drawn almost as ``answers`` (the ink of their pooled
    rasters overlaps by :data:`NEAR_TWIN_IOU` or more): accepting one for the other, when the
    other is hidden, is no missing character accepted."""
    a = np.asarray(index.pooled[np.asarray(rows)]) >= 90
    b = np.asarray(index.pooled[np.asarray(answers)]) >= 90
    iou = (a & b).sum(axis=(1, 2)) / np.maximum((a | b).sum(axis=(1, 2)), 1)
    return iou >= NEAR_TWIN_IOU


def trust_inputs(index: Any, rasters: np.ndarray, answers: np.ndarray, sides: np.ndarray, *, hide: bool,
                 hints: list[Any] | None = None) -> dict[str, Any]:
    """Rank calibration queries with the verifier (optionally hiding their character), with
    simulated ledger ``hints`` when given."""
    from gaiji.match.verified import VERIFY, rank_rasters_verified

    groups = index.groups
    exclude = groups[answers] if hide else None
    ranked = rank_rasters_verified(index, rasters, hints, top_k=VERIFY, sides=sides, exclude_groups=exclude)
    # what the trust model decides on: the search's candidates (reading candidates left out) and
    # their best — the gaiji's rank 1 unless a reading candidate outranks it (never auto-accepted)
    summary, rank1 = ranked.trust_summary, ranked.trust_rank1
    if summary.crowd is not None and hide:  # crowded as a look-alike of a character MJ lacks would be
        from gaiji.match.lookalikes import crowd_when_hidden

        summary = dataclasses.replace(summary, crowd=crowd_when_hidden(index, rank1, exclude))
    correct = rank1 == answers
    ucs_correct = groups[rank1] == groups[answers]
    near_twin = np.zeros(len(answers), bool)
    if hide:  # another character drawn the same way is no "missing" character: leave it out
        near_twin = near_twins(index, rank1, answers)
    return {"summary": summary, "correct": correct, "ucs_correct": ucs_correct, "near_twin": near_twin,
            "rank1": rank1}


def _cached(cache: Path | None, name: str, make: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rendered queries, kept in ``cache`` (npz) between runs with the same seed and scale."""
    if cache is not None and (Path(cache) / f"{name}.npz").is_file():
        with np.load(Path(cache) / f"{name}.npz") as d:
            return d["rasters"], d["answers"], d["sides"]
    r, a, s = make()
    if cache is not None:
        Path(cache).mkdir(parents=True, exist_ok=True)
        np.savez(Path(cache) / f"{name}.npz", rasters=r, answers=a, sides=s)
    return r, a, s


def _cached_with_kinds(cache: Path | None, name: str, make: Any) -> tuple[np.ndarray, ...]:
    """As :func:`_cached`, with each query's kind of drawing kept too."""
    if cache is not None and (Path(cache) / f"{name}.npz").is_file():
        with np.load(Path(cache) / f"{name}.npz") as d:
            return d["rasters"], d["answers"], d["sides"], d["kinds"]
    r, a, s, k = make()
    if cache is not None:
        Path(cache).mkdir(parents=True, exist_ok=True)
        np.savez(Path(cache) / f"{name}.npz", rasters=r, answers=a, sides=s, kinds=k)
    return r, a, s, k


def _reuse_verifier(folder: Path, out_dir: Path, info: dict[str, Any]) -> dict[str, Any]:
    """Copy a model folder's verifier and pair network into ``out_dir`` (``--verifier-from``);
    returns that folder's model.json."""
    from gaiji.match.pair_cnn import FILE as PAIR_CNN_FILE

    old_info = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    for name in ("verifier.npz", PAIR_CNN_FILE):
        (out_dir / name).write_bytes((folder / name).read_bytes())
    info["verifier"] = {**old_info.get("verifier", {}), "reused_from": str(folder)}
    info["pair_cnn"] = {**(old_info.get("pair_cnn") or {}), "reused_from": str(folder)}
    return old_info


def _fit_verifier(index: Any, out_dir: Path, info: dict[str, Any], *, designs: list[Any], more_designs: list[Any],
                  ipamj: Any, rows: list[Any], train_chars: list[str], variant_ids: list[int], variant_chars: int,
                  cache: Path | None, scale: float, vectors: bool, pair_cnn_from: Path | None,
                  progress: Progress) -> None:
    """Fit the verifier (training fonts + IPAmj variants) and the pair network on the same pairs,
    into ``out_dir``; their provenance goes to ``info``."""
    from gaiji.match.pair_cnn import FILE as PAIR_CNN_FILE

    per_font = max(1, round(2 * scale))
    q_r, q_a, q_s = _cached(cache, f"verifier-ume-{scale}", lambda: _queries(
        index, designs, train_chars, per_font=per_font, seed=SEED + 10, weights=None, progress=progress,
        label="rendering verifier queries"))
    e_r, e_a, e_s = _cached(cache, f"verifier-designs-{scale}", lambda: _queries(
        index, more_designs, train_chars, per_font=per_font, seed=SEED + 14, weights=None, progress=progress,
        label="rendering verifier queries (more designs)"))
    q_r, q_a, q_s = np.concatenate([q_r, e_r]), np.concatenate([q_a, e_a]), np.concatenate([q_s, e_s])
    b_r, b_a, b_s = _cached(cache, "verifier-bitmap-fonts", lambda: bitmap_font_queries(index, train_chars, seed=SEED + 13))
    q_r, q_a, q_s = np.concatenate([q_r, b_r]), np.concatenate([q_a, b_a]), np.concatenate([q_s, b_s])
    vr, va, vs = _cached(cache, f"verifier-variants-{scale}", lambda: render_variant_queries(
        ipamj, rows, variant_ids, per_row=per_font, seed=SEED + 11))
    progress(1, 3, "verifier pairs")
    hide = np.random.default_rng(SEED + 12).random(len(q_a)) < HIDDEN_SHARE
    x1, y1 = pair_training_set(index, q_r, q_a, q_s, hide=hide, vectors=vectors)
    x2, y2 = pair_training_set(index, vr, va, vs, vectors=vectors)
    x, y = np.concatenate([x1, x2]), np.concatenate([y1, y2])
    progress(2, 3, "fitting the verifier")
    verifier, v_info = fit_verifier(x, y, seed=SEED, vectors=vectors)
    v_info.update({"fonts": [f.name for f in designs + more_designs] + [p.name for p in BITMAP_TRAINING_FONTS if p.is_file()],
                   "bitmap_font_queries": len(b_a), "one_glyph_queries": len(q_a),
                   "variant_queries": len(va), "variant_characters": variant_chars})
    verifier.save(out_dir / "verifier.npz")
    info["verifier"] = v_info
    # --- the pair network: the pictures of the same pairs (gaiji.match.pair_cnn) ---------------
    if pair_cnn_from is not None:
        (out_dir / PAIR_CNN_FILE).write_bytes(Path(pair_cnn_from).read_bytes())
        fitted = Path(pair_cnn_from).with_suffix(".json")  # what the earlier fit recorded, if kept
        info["pair_cnn"] = {**(json.loads(fitted.read_text(encoding="utf-8")) if fitted.is_file() else {}),
                            "reused_from": Path(pair_cnn_from).name}
    else:
        from gaiji.match.train_pair_cnn import aligned_pairs, fit_pair_cnn

        one = aligned_pairs(index, q_r, q_a, q_s, hide=hide)
        two = aligned_pairs(index, vr, va, vs)
        q32, c32, same = (np.concatenate([a, b]) for a, b in zip(one, two))
        graph, info["pair_cnn"] = fit_pair_cnn(q32, c32, same, seed=SEED + 30, progress=progress)
        (out_dir / PAIR_CNN_FILE).write_bytes(graph)


def train_matcher(
    reference: Any, out_dir: Path, *, progress: Progress = no_progress, scale: float = 1.0,
    projections_from: Path | None = None, calibration_dump: Path | None = None, cache: Path | None = None,
    vectors: bool = False, pair_cnn_from: Path | None = None, verifier_from: Path | None = None,
) -> dict[str, Any]:
    """Train everything in ``gaiji/match/model/`` into ``out_dir``; returns the provenance.

    ``projections_from``: a folder holding ``projection.npz`` / ``projection_small.npz`` made
    by the same code and seed (e.g. an earlier run), to skip re-learning them;
    ``pair_cnn_from``: a ``pair_cnn.onnx`` fitted by the same code and seed, to skip fitting it
    (it is fitted on the same pairs as the verifier, with PyTorch); ``verifier_from``: a model
    folder whose verifier and pair network are reused as they are (only the look-alikes, the v1
    calibration and the trust model are refitted — to study a change of the trust model alone).
    """
    import tempfile

    from gaiji.match.calibrate import calibrate_index
    from gaiji.match.trust import fit_trust, is_small
    from gaiji.match.verify import Verifier  # noqa: F401 - import check before hours of work

    started = time.monotonic()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    font_path = Path(getattr(reference, "font_path", "") or "")
    ipamj = FontSpec("IPAmjMincho", font_path, "mincho")
    rows = reference_rows(reference)
    has_glyph = np.asarray(reference.has_glyph, bool)
    rng = np.random.default_rng(SEED)
    pool = unique_glyph_chars(rows, has_glyph)
    from gaiji.match.synth import FontRenderer

    train_fonts = installed(TRAINING_FONTS)
    if len(train_fonts) < 2 or not installed(CALIBRATION_FONTS):
        raise RuntimeError("training needs the training and calibration fonts: bash scripts/setup.sh --test")
    first = FontRenderer(train_fonts[0])
    shuffled = list(rng.permutation([c for c in pool if first.has(c)]))
    train_chars = shuffled[:TRAINING_CLASSES]
    calib_chars = shuffled[TRAINING_CLASSES : TRAINING_CLASSES + CALIBRATION_CHARS]
    variants = variant_rows(rows, has_glyph)
    vchars = list(rng.permutation(sorted(variants)))
    n_train = int(len(vchars) * VARIANT_SPLIT[0])
    n_cal = int(len(vchars) * VARIANT_SPLIT[1])
    v_train, v_cal = vchars[:n_train], vchars[n_train : n_train + n_cal]
    info: dict[str, Any] = {"seed": SEED, "reference_version": reference.version_label}
    old_info: dict[str, Any] = {}

    if projections_from is not None:
        from gaiji.match.projection import Projection

        projection = Projection.load(Path(projections_from) / "projection.npz")
        small = Projection.load(Path(projections_from) / "projection_small.npz")
        old = json.loads((Path(projections_from) / "meta.json").read_text(encoding="utf-8"))
        p_info, s_info = old.get("projection"), old.get("projection_small")
    else:
        projection, p_info = build_projection(train_chars, reference_font=font_path, seed=SEED, progress=progress)
        small, s_info = build_projection(train_chars, reference_font=font_path, seed=SEED + 2,
                                         weights=SMALL_KIND_WEIGHTS, progress=progress)
    projection.save(out_dir / "projection.npz")
    small.save(out_dir / "projection_small.npz")
    info["projection"], info["projection_small"] = p_info, s_info
    (out_dir / "training_chars.txt").write_text(
        "# characters learned from or calibrated on (kept out of the benchmark): projection and verifier;"
        " calibration; variant characters for the verifier; variant characters for calibration\n"
        + "".join(train_chars) + "\n" + "".join(calib_chars) + "\n" + "".join(v_train) + "\n" + "".join(v_cal) + "\n",
        encoding="utf-8",
    )
    for stale in ("verifier.npz", "trust.json", "pair_cnn.onnx"):
        (out_dir / stale).unlink(missing_ok=True)

    with tempfile.TemporaryDirectory(prefix="gaiji-train-") as tmp:
        folder = Path(tmp) / "index"
        build_match_index(reference, folder, key="training", progress=progress, model_dir=out_dir)
        index = open_match_index(folder)
        from gaiji.match.pair_cnn import FILE as PAIR_CNN_FILE
        from gaiji.match.pair_cnn import PairCNN

        # the verifier also learns from the Ume fonts, which the projections never saw: its pairs
        # then carry the search statistics of an unseen design, as users' gaiji do
        designs = train_fonts + installed(CALIBRATION_FONTS) + [ipamj]
        more_designs = installed(VERIFIER_FONTS)
        fonts = designs + more_designs
        if verifier_from is not None:
            old_info = _reuse_verifier(Path(verifier_from), out_dir, info)
        else:
            if len(more_designs) < len(VERIFIER_FONTS):
                raise RuntimeError("training needs the verifier fonts "
                                   f"({', '.join(str(f.path) for f in VERIFIER_FONTS)}): bash scripts/setup.sh --test")
            _fit_verifier(index, out_dir, info, designs=designs, more_designs=more_designs, ipamj=ipamj, rows=rows,
                          train_chars=train_chars, variant_ids=[i for c in v_train for i in variants[c]],
                          variant_chars=len(v_train), cache=cache, scale=scale, vectors=vectors,
                          pair_cnn_from=pair_cnn_from, progress=progress)
        progress(3, 3, "fitting the verifier")
        index = open_match_index(folder)  # fresh, without a trust model
        index.reference_rasters = reference.rasters  # crowding with a character hidden ranks MJ glyphs
        from gaiji.match.verify import Verifier as _V

        index.verifier = _V.load(out_dir / "verifier.npz")
        index.pair_cnn = PairCNN(out_dir / PAIR_CNN_FILE)
        from gaiji.match.lookalikes import nearest_other_character

        # each glyph's closest other character, as `gaiji match` will see it (the index build computes it)
        index.crowd, index.crowd_row = nearest_other_character(index, reference.rasters, progress=progress)
        # --- v1 calibration (kept for `--matcher v1`) -----------------------------------------
        if verifier_from is not None and "calibration_v1" in old_info:  # it reads the projections only
            for key in ("calibration_v1", "calibration_v1_small", "calibration_v1_info"):
                info[key] = old_info.get(key)
        else:
            cal, small_cal, cal_info = calibrate_index(index, calib_chars, seed=SEED, progress=progress)
            info["calibration_v1"] = cal.to_dict() if cal else None
            info["calibration_v1_small"] = small_cal.to_dict() if small_cal else None
            info["calibration_v1_info"] = cal_info
        # --- v2 trust: trust fonts + IPAmj variants of other characters ----------------------
        cal_fonts = installed(TRUST_FONTS)
        if len(cal_fonts) < len(TRUST_FONTS):
            raise RuntimeError("calibrating needs the calibration fonts "
                               f"({', '.join(str(f.path) for f in TRUST_FONTS)}): bash scripts/setup.sh --test")
        c_r, c_a, c_s, c_k = _cached_with_kinds(cache, f"trust-designs-kinds-{scale}", lambda: _queries(
            index, cal_fonts, calib_chars, per_font=max(1, round(4 * scale)), seed=SEED + 20, weights=None,
            progress=progress, label="rendering calibration queries", with_kinds=True))
        cv_ids = [i for c in v_cal for i in variants[c]]
        cvr, cva, cvs = _cached(cache, f"calibration-variants-{scale}", lambda: render_variant_queries(
            ipamj, rows, cv_ids, per_row=max(1, round(2 * scale)), seed=SEED + 21))
        # more small bitmaps (≤ 16 px): their strata had the fewest queries, so the widest error
        # bound. Appended last, so that every other query keeps its simulated ledger reading
        small_per_font = max(1, round(SMALL_CALIBRATION_PER_FONT * scale))
        x_r, x_a, x_s, x_k = _cached_with_kinds(cache, f"trust-small-kinds-{small_per_font}", lambda: _queries(
            index, cal_fonts, calib_chars, per_font=small_per_font,
            seed=SEED + 24, weights={"small_bitmap": 1.0}, progress=progress,
            label="rendering small calibration queries", with_kinds=True))
        small_only = is_small(x_s)
        x_r, x_a, x_s, x_k = x_r[small_only], x_a[small_only], x_s[small_only], x_k[small_only]
        all_r = np.concatenate([c_r, cvr, x_r])
        all_a = np.concatenate([c_a, cva, x_a])
        all_s = np.concatenate([c_s, cvs, x_s])
        present = trust_inputs(index, all_r, all_a, all_s, hide=False,
                               hints=simulated_ledger(index, all_a, seed=SEED + 22))
        # the one-glyph and the small queries again, each with its character hidden (as before, not the variants)
        h_r, h_a, h_s, h_k = (np.concatenate(pair) for pair in ((c_r, x_r), (c_a, x_a), (c_s, x_s), (c_k, x_k)))
        absent = trust_inputs(index, h_r, h_a, h_s, hide=True, hints=simulated_ledger(index, h_a, seed=SEED + 23))
        keep = ~absent["near_twin"]
        if calibration_dump is not None:  # to study or refit the trust model without re-rendering
            np.savez_compressed(
                calibration_dump, sides=all_s, absent_sides=h_s[keep], correct=present["correct"],
                ucs_correct=present["ucs_correct"], present_rank1=present["rank1"], absent_rank1=absent["rank1"][keep],
                variant_query=np.r_[np.zeros(len(c_a), bool), np.ones(len(cva), bool), np.zeros(len(x_a), bool)],
                absent_kinds=h_k[keep],
                **{f"present_{k}": getattr(present["summary"], k) for k in present["summary"].__dataclass_fields__},
                **{f"absent_{k}": getattr(absent["summary"].subset(keep), k) for k in present["summary"].__dataclass_fields__},
            )
        trust = fit_trust(present["summary"], all_s, present["correct"], present["ucs_correct"],
                          absent["summary"].subset(keep), h_s[keep], separate_small=index.pair_cnn is not None,
                          absent_kinds=h_k[keep])
        trust.info.update({"fonts": [f.name for f in cal_fonts] + ["IPAmjMincho (variant characters, degraded)"],
                           "one_glyph_queries": len(h_a), "variant_queries": len(cva),
                           "small_extra_queries": len(x_a),
                           "top1": round(float(present["correct"].mean()), 4),
                           "absent_near_twins_left_out": int((~keep).sum()),
                           "ledger": {"no_reading": LEDGER_NO_READING, "wrong_reading": LEDGER_WRONG_READING}})
        # --- "which variant?" in other designs: the variant factor's temperature -----------------
        from gaiji.match.variant_designs import fit_variant_temperature_on_designs

        index.trust = trust
        trust.variant_temperature, trust.info["variant_temperature"] = fit_variant_temperature_on_designs(
            index, has_glyph, set(v_cal))
        (out_dir / "trust.json").write_text(json.dumps(trust.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        info["trust"] = trust.info
    from gaiji.match.bench import BENCH_FONTS
    from gaiji.match.variant_designs import SPLIT_ENTRY as VARIANT_SPLIT_ENTRY

    info["font_split"] = {
        "training": [f.name for f in fonts] + [p.name.split(".")[0] for p in BITMAP_TRAINING_FONTS if p.is_file()],
        "calibration": [f.name for f in installed(TRUST_FONTS)] + ["IPAmjMincho (variant characters only)",
                                                                     VARIANT_SPLIT_ENTRY],
        "benchmark": [f.name for f in BENCH_FONTS],
    }
    info["seconds"] = round(time.monotonic() - started, 1)
    (out_dir / "model.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return info


def refit_variant_temperature(reference: Any, model_dir: Path) -> dict[str, Any]:
    """Fit only the variant temperature of the model in ``model_dir`` (the shipped one, which
    the match index reads) and write it into its ``trust.json`` and ``model.json``; returns what
    it was fitted on. The trust maps and thresholds are left as they are."""
    from gaiji.fsutil import atomic_write
    from gaiji.match.index import MODEL_DIR, load_match_index
    from gaiji.match.trust import TrustModel
    from gaiji.match.variant_designs import (
        SPLIT_ENTRY,
        fit_variant_temperature_on_designs,
        model_variant_split,
    )

    model_dir = Path(model_dir)
    if model_dir.resolve() != MODEL_DIR.resolve():
        raise ValueError(f"the variant temperature is refitted on the shipped model only ({MODEL_DIR})")
    index = load_match_index(reference)
    _, calibration_chars = model_variant_split(model_dir)
    temperature, fitted = fit_variant_temperature_on_designs(index, np.asarray(reference.has_glyph, bool),
                                                             calibration_chars)
    trust = TrustModel.from_dict(json.loads((model_dir / "trust.json").read_text(encoding="utf-8")))
    trust.variant_temperature = temperature
    trust.info["variant_temperature"] = fitted
    model = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    model["trust"] = trust.info
    split = model.setdefault("font_split", {}).setdefault("calibration", [])
    if SPLIT_ENTRY not in split:
        split.append(SPLIT_ENTRY)
    for name, data in (("trust.json", trust.to_dict()), ("model.json", model)):
        with atomic_write(model_dir / name, encoding="utf-8") as out:
            out.write(json.dumps(data, ensure_ascii=False, indent=1))
    return fitted
