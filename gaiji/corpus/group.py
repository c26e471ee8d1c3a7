"""Find the same glyph across sets: identical after normalisation, then near-identical.

1. **Identical**: gaiji whose canonical rasters (:func:`gaiji.render.canonical_raster`, via the
   matcher's own query preparation) are byte-identical share an *exact class* — the same
   bitmap on another code, or placed elsewhere in its cell (normalisation crops to the ink).
2. **Near-identical**: exact classes are visited largest first; each looks up its nearest
   classes by glyph features (faiss, inner product on the L2-normalised 512-d features) and
   joins the group of an earlier class only when, against that group's *representative*
   (never a chain of neighbours), both hold:

   * feature cosine ≥ :data:`MIN_COSINE`, and
   * symmetric Hausdorff distance between the two binarised canonical rasters ≤
     :data:`MAX_STROKE_DISTANCE` pixels of the 64-pixel grid — every stroke pixel of one lies
     within that distance of a stroke pixel of the other, so a missing dot or stroke (辻 vs
     辻󠄀, 吉 vs 𠮷) keeps two glyphs apart however similar they are overall.

   * the two come from different resolutions: their ink boxes differ by at least
     :data:`MIN_SIDE_CHANGE` source pixels. At one resolution the same glyph is the same
     bitmap (identical, step 1); two *different* bitmaps of one size that are this close are
     another drawing — often a variant (㑹󠄀/㑹󠄁 differ by under 2 px) — and stay apart.

   A class joins only when exactly one group passes, and neither it nor that group's
   representative is *crowded* — has a different bitmap of its own size passing the same
   tests (a character whose variants are look-alikes at that resolution).
   Otherwise the class starts a group of its own and becomes its representative.

The thresholds are strict on purpose: a wrong merge would propose one character's decision
for another, a missed merge costs one extra look. Each membership keeps its evidence.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from gaiji.corpus.prepare import TABLE as GAIJI_TABLE
from gaiji.corpus.prepare import features_of, rasters_of
from gaiji.corpus.tables import read_table, table_dir, write_parquet, write_partitioned
from gaiji.progress import Progress, no_progress

MIN_COSINE = 0.97
MAX_STROKE_DISTANCE = 2.5  # pixels of the 64 × 64 canonical raster
MIN_SIDE_CHANGE = 2  # source pixels
NEIGHBOURS = 8
EXACT_SEARCH_MAX = 25_000  # classes searched exhaustively; above, an IVF index
PROBES = 16
INK = 100  # uint8 canonical raster value counted as stroke
MEMBERSHIPS = "memberships"
GROUPS = "groups"


@dataclass
class Grouping:
    """Result of grouping: per gaiji row its group and evidence; per group its summary."""

    memberships: pa.Table
    groups: pa.Table

    @property
    def group_count(self) -> int:
        return self.groups.num_rows


def stroke_distance(a: np.ndarray, b: np.ndarray, *, da: np.ndarray | None = None,
                    db: np.ndarray | None = None) -> float:
    """Symmetric Hausdorff distance (pixels) between the strokes of two canonical rasters.

    >>> a = np.zeros((64, 64), np.uint8); a[10:50, 30:34] = 255
    >>> b = a.copy(); b[5, 5] = 255          # one extra dot far away
    >>> stroke_distance(a, a), stroke_distance(a, b) > 20
    (0.0, True)
    """
    A, B = a > INK, b > INK
    if not A.any() or not B.any():
        return 0.0 if A.any() == B.any() else float("inf")
    da = _distance_to_ink(a) if da is None else da
    db = _distance_to_ink(b) if db is None else db
    return float(max(db[A].max(), da[B].max()))


def _distance_to_ink(r: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.distanceTransform((r <= INK).astype(np.uint8), cv2.DIST_L2, 3)


def nearest_classes(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The *k* nearest rows of every row of *x* (unit vectors) by inner product.

    Exact (``IndexFlatIP``) up to :data:`EXACT_SEARCH_MAX` rows; above, an inverted-file
    index (``IndexIVFFlat``, 4·√n lists, :data:`PROBES` probed) keeps the cost near-linear
    instead of quadratic. A near-duplicate the approximate search misses stays in a group
    of its own (one more look for a reviewer), never in a wrong one: every join is verified
    exactly against the representative.
    """
    return inner_product_index(x).search(x, k)


def inner_product_index(x: np.ndarray, *, exact_max: int = EXACT_SEARCH_MAX, probes: int = PROBES) -> Any:
    """A faiss index over the rows of *x* by inner product: exact up to *exact_max* rows, above an
    inverted file of 4·√n lists with *probes* probed."""
    from gaiji.faiss_loader import load_faiss

    faiss = load_faiss()
    n, dim = x.shape
    index: Any
    if n <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = int(4 * np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(x)
        index.nprobe = probes
    index.add(x)
    return index


def group_gaiji(table: pa.Table, *, set_order: list[str], progress: Progress = no_progress,
                rep_loader: Any = None) -> Grouping:
    """Group the prepared gaiji (the ``gaiji`` corpus table).

    ``rep_loader(rows)`` returns ``(features, rasters)`` of the given table rows; by default
    they are taken from *table*, which then must hold those columns (the corpus reads them
    only for each class's representative, to bound memory).
    """
    meta = table.select(["municipality", "set", "gaiji_id", "position", "blank", "raster_hash", "side"])
    order_of = {name: i for i, name in enumerate(set_order)}
    sets = meta.column("set").to_pylist()
    positions = meta.column("position").to_numpy()
    row_order = sorted(range(meta.num_rows), key=lambda i: (order_of.get(sets[i], 1 << 30), sets[i], positions[i]))
    hashes = meta.column("raster_hash").to_pylist()
    blank = meta.column("blank").to_pylist()
    classes: dict[str, list[int]] = {}
    for i in row_order:
        if not blank[i]:
            classes.setdefault(hashes[i], []).append(i)
    rank = {i: k for k, i in enumerate(row_order)}
    keys = sorted(classes, key=lambda h: (-len(classes[h]), rank[classes[h][0]]))
    # representatives' features and rasters only (not every gaiji's)
    rep_rows = np.array([classes[h][0] for h in keys], np.int64)
    side_all = meta.column("side").to_numpy()
    sides = side_all[rep_rows] if len(rep_rows) else np.zeros(0, np.int64)
    if rep_loader is not None:
        feats, rasters = rep_loader(rep_rows)
    else:
        reps = table.select(["features", "raster"]).take(pa.array(rep_rows)) if len(rep_rows) else None
        feats = features_of(reps) if reps is not None else np.zeros((0, 512), np.float32)
        rasters = rasters_of(reps) if reps is not None else np.zeros((0, 64, 64), np.uint8)
    n = len(keys)
    leader = np.full(n, -1, np.int64)
    cosine = np.ones(n, np.float32)
    distance = np.zeros(n, np.float32)
    if n:
        x = np.ascontiguousarray(feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12))
        sims, nbrs = nearest_classes(x, min(NEIGHBOURS + 1, n))
        dt: dict[int, np.ndarray] = {}  # float16: 8 KB per class that has a close neighbour

        def dist_map(c: int) -> np.ndarray:
            if c not in dt:
                dt[c] = _distance_to_ink(rasters[c]).astype(np.float16)
            return dt[c]

        def close(a: int, b: int) -> tuple[float, float] | None:
            cos = float(x[a] @ x[b])
            if cos < MIN_COSINE:
                return None
            d = stroke_distance(rasters[a], rasters[b], da=dist_map(a), db=dist_map(b))
            return (cos, d) if d <= MAX_STROKE_DISTANCE else None

        # a class with a different bitmap of its own size this close has look-alikes at this
        # resolution (variants one dot apart): it is never merged by resemblance alone
        crowded = np.zeros(n, bool)
        for c in range(n):
            for s, nb in zip(sims[c], nbrs[c]):
                same_size = abs(int(sides[c]) - int(sides[nb])) < MIN_SIDE_CHANGE
                if nb >= 0 and nb != c and s >= MIN_COSINE and same_size and close(c, int(nb)) is not None:
                    crowded[c] = True
                    break
        for c in range(n):
            passing: dict[int, tuple[float, float]] = {}
            if not crowded[c]:
                for s, nb in zip(sims[c], nbrs[c]):
                    if nb < 0 or nb == c or s < MIN_COSINE or leader[nb] < 0:
                        continue
                    lead = int(leader[nb])
                    if lead in passing or crowded[lead] or abs(int(sides[c]) - int(sides[lead])) < MIN_SIDE_CHANGE:
                        continue
                    found = close(c, lead)
                    if found is not None:
                        passing[lead] = found
            if len(passing) == 1:  # exactly one group it could belong to
                lead, (cos, d) = next(iter(passing.items()))
                leader[c], cosine[c], distance[c] = lead, cos, d
            else:
                leader[c] = c
            if c % 5000 == 0:
                progress(c, n, "grouping")
        progress(n, n, "grouping")
    class_of = {h: k for k, h in enumerate(keys)}
    group_id = [_group_id(keys[int(leader[c])]) for c in range(n)]
    rep_of = {c: classes[keys[c]][0] for c in range(n) if leader[c] == c}
    # memberships, one row per gaiji (blank ones too, without a group: never dropped)
    mem: dict[str, list[Any]] = {k: [] for k in (
        "municipality", "set", "gaiji_id", "group_id", "exact_class", "relation", "cosine",
        "stroke_distance", "evidence")}
    muni = meta.column("municipality").to_pylist()
    gids = meta.column("gaiji_id").to_pylist()
    for i in row_order:
        mem["municipality"].append(muni[i])
        mem["set"].append(sets[i])
        mem["gaiji_id"].append(gids[i])
        if blank[i]:
            for k, v in (("group_id", ""), ("exact_class", ""), ("relation", "blank"), ("cosine", None),
                         ("stroke_distance", None), ("evidence", "blank glyph: no ink, not grouped")):
                mem[k].append(v)
            continue
        c = class_of[hashes[i]]
        lead = int(leader[c])
        rep = rep_of[lead]
        if i == rep:
            relation, cos, d, ev = "representative", 1.0, 0.0, "representative of its group"
        elif lead == c:
            relation, cos, d = "identical", 1.0, 0.0
            ev = f"identical canonical raster to {sets[rep]}/{gids[rep]}"
        else:
            relation, cos, d = "near", float(cosine[c]), float(distance[c])
            ev = (f"near-identical to {sets[rep]}/{gids[rep]}: feature cosine {cos:.4f} ≥ {MIN_COSINE}, "
                  f"stroke distance {d:.2f} ≤ {MAX_STROKE_DISTANCE} px of 64, "
                  f"ink {int(side_all[i])} px vs {int(side_all[rep])} px")
        mem["group_id"].append(group_id[c])
        mem["exact_class"].append(hashes[i])
        mem["relation"].append(relation)
        mem["cosine"].append(round(cos, 4))
        mem["stroke_distance"].append(round(d, 3))
        mem["evidence"].append(ev)
    memberships = pa.table(mem)
    return Grouping(memberships, _group_summary(memberships, rep_of, keys, sets, gids, muni))


def _group_id(raster_hash: str) -> str:
    return "G" + hashlib.sha1(raster_hash.encode()).hexdigest()[:12]


def _group_summary(mem: pa.Table, rep_of: dict[int, int], keys: list[str], sets: list[str],
                   gids: list[str], muni: list[str]) -> pa.Table:
    size: dict[str, int] = {}
    setsof: dict[str, set[str]] = {}
    munis: dict[str, set[str]] = {}
    classes: dict[str, set[str]] = {}
    for g, s, m, e in zip(mem.column("group_id").to_pylist(), mem.column("set").to_pylist(),
                          mem.column("municipality").to_pylist(), mem.column("exact_class").to_pylist()):
        if not g:
            continue
        size[g] = size.get(g, 0) + 1
        setsof.setdefault(g, set()).add(s)
        munis.setdefault(g, set()).add(m)
        classes.setdefault(g, set()).add(e)
    out: dict[str, list[Any]] = {k: [] for k in (
        "group_id", "size", "sets", "municipalities", "exact_classes", "representative_set",
        "representative_gaiji", "representative_municipality")}
    for lead, rep in sorted(rep_of.items()):
        g = _group_id(keys[lead])
        out["group_id"].append(g)
        out["size"].append(size[g])
        out["sets"].append(len(setsof[g]))
        out["municipalities"].append(len(munis[g]))
        out["exact_classes"].append(len(classes[g]))
        out["representative_set"].append(sets[rep])
        out["representative_gaiji"].append(gids[rep])
        out["representative_municipality"].append(muni[rep])
    return pa.table(out)


def group_corpus(corpus: str | Path, *, progress: Progress = no_progress) -> Grouping:
    """Read the ``gaiji`` table, group it, write ``memberships`` (by municipality) and
    ``groups`` (one national table)."""
    import pyarrow.parquet as pq

    from gaiji.corpus.registry import read_registry

    entries = read_registry(corpus)
    files = sorted(table_dir(corpus, GAIJI_TABLE).rglob("*.parquet"))
    if not files:
        read_table(corpus, GAIJI_TABLE)  # raises the "run the stage first" error
    meta_cols = ["municipality", "set", "gaiji_id", "position", "blank", "raster_hash", "side"]
    metas = [pq.read_table(f, columns=meta_cols) for f in files]
    starts = np.cumsum([0] + [m.num_rows for m in metas])
    table = pa.concat_tables(metas)

    def load_reps(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        feats = np.zeros((len(rows), 512), np.float32)
        rasters = np.zeros((len(rows), 64, 64), np.uint8)
        which = np.searchsorted(starts, rows, side="right") - 1
        for k in np.unique(which):
            pick = np.flatnonzero(which == k)
            part = pq.read_table(files[k], columns=["features", "raster"]).take(pa.array(rows[pick] - starts[k]))
            feats[pick] = features_of(part)
            rasters[pick] = rasters_of(part)
        return feats, rasters

    grouping = group_gaiji(table, set_order=[e.name for e in entries], progress=progress, rep_loader=load_reps)
    write_partitioned(corpus, MEMBERSHIPS, grouping.memberships)
    write_parquet(grouping.groups, table_dir(corpus, GROUPS) / "national.parquet")
    return grouping
