"""Write the candidates file (**contract**, DESIGN.md): CSV or JSON Lines.

One row per (gaiji, candidate), best first. Columns, in this order: ``gaiji_id, rank, mj,
ucs, ivs, char, score, confidence, auto_accept``, then the evidence: ``image_score`` (stage-1
projected gradient cosine), ``rerank_score`` (image score after re-ranking with the
unprojected features), ``reading_score`` / ``reading_matched`` (agreement of the ledger
reading with the MJ readings, and which MJ reading matched), ``radical_strokes_score``,
``gap`` (score minus the best other candidate's), and ``reference_version``; then (added,
reference sets) ``ref_set`` (``MJ`` or the name of an added set: ``mj`` is then empty) and
``ref_id`` (the MJ文字図形名, or the added set's own identifier); ``same_glyph_as`` (the other
MJ entries drawn by the same glyph, see :mod:`gaiji.match.twins`).

JSON Lines carries the same fields, one object per row, numbers as numbers.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.csvsafe import neutralise
from gaiji.errors import InputError
from gaiji.fsutil import atomic_write
from gaiji.match.matcher import MatchResult
from gaiji.match.trust import NO_MATCH_SUGGEST

COLUMNS = (
    "gaiji_id", "rank", "mj", "ucs", "ivs", "char", "score", "confidence", "auto_accept",
    "image_score", "rerank_score", "reading_score", "reading_matched", "radical_strokes_score",
    "gap", "reference_version", "ref_set", "ref_id", "same_glyph_as",
    # match v2 (additive): per gaiji on every row; verifier probability per row
    "ucs_confidence", "no_match", "verify_score", "matcher", "stratum", "evidence",
)
FORMATS = ("csv", "jsonl")


def candidate_rows(result: MatchResult) -> Iterator[dict[str, Any]]:
    """Every candidate row as a dict keyed by :data:`COLUMNS` (typed values, text as is)."""
    for row in _rows(result, text=str):
        yield dict(zip(COLUMNS, row))


def _num(value: float, digits: int) -> float | str:
    """A rounded number, or '' where there is none (NaN)."""
    v = float(value)
    return "" if math.isnan(v) else round(v, digits)



def write_candidates(result: MatchResult, path: str | Path, *, fmt: str = "csv") -> int:
    """Write the candidates atomically; returns the number of rows written."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    count = 0
    with atomic_write(path) as out:
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in _rows(result, text=neutralise):
                writer.writerow(row)
                count += 1
        else:
            for row in candidate_rows(result):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    return count


def _rows(result: MatchResult, *, text: Callable[[str], str]) -> Iterator[list[Any]]:
    """Every candidate row's cells in :data:`COLUMNS` order, built column-wise (what depends on
    the reference row is worked out once per row); free text goes through ``text`` (the CSV
    neutralises it, see :mod:`gaiji.csvsafe`)."""
    from gaiji.match.refsets import ref_id_of, ref_set_of, row_info
    from gaiji.match.twins import same_glyph_as

    rk = result.ranked
    rows = result.index.rows
    version = text(result.reference_version)
    v2 = rk.verify_score is not None
    k = rk.rows.shape[1]
    per_row: dict[int, tuple[str, ...]] = {}

    def about(r: int) -> tuple[str, ...]:
        if r not in per_row:
            info = row_info(rows, result.extra_rows, r)
            twin = (same_glyph_as(result.same_glyph, rows, r)
                    if result.same_glyph is not None and r < len(rows) else "")
            per_row[r] = (info.mj, info.ucs, info.ivs, text(info.char), ref_set_of(info), ref_id_of(info), twin)
        return per_row[r]

    def col(a: Any, digits: int) -> list[list[Any]]:
        return [[_num(v, digits) for v in line] for line in np.asarray(a, np.float64).tolist()]

    score, conf, image, rerank = col(rk.score, 4), col(rk.confidence, 4), col(rk.image_score, 4), col(rk.rerank_score, 4)
    reading, rs, gap = col(rk.reading_score, 3), col(rk.radical_strokes_score, 3), col(rk.gap, 4)
    verify = col(rk.verify_score, 4) if v2 else None
    ids = rk.rows.tolist()
    for i, gid in enumerate(result.gaiji_ids):
        gid_cell = text(gid)
        auto = int(bool(rk.auto_accept[i]))
        if v2:
            tail = [_num(rk.ucs_confidence[i], 4), _num(rk.no_match[i], 4)]
            stratum = rk.stratum[i] if rk.stratum else ""
            evidence = text(rk.evidence[i]) if rk.evidence else ""
        matched = rk.reading_matched[i] if rk.reading_matched else None
        for j in range(k):
            mj, ucs, ivs, char, ref_set, ref_id, twin = about(int(ids[i][j]))
            row = [gid_cell, j + 1, mj, ucs, ivs, char, score[i][j], conf[i][j], auto if j == 0 else 0,
                   image[i][j], rerank[i][j], reading[i][j], text(matched[j]) if matched else "", rs[i][j],
                   gap[i][j], version, ref_set, ref_id, twin]
            if v2 and verify is not None:
                row += [*tail, verify[i][j], "v2", stratum, evidence if j == 0 else ""]
            else:
                row += ["", "", "", "v1", "", ""]
            yield row


TEXT_COLUMNS = ("gaiji_id", "char", "reading_matched", "reference_version", "evidence")


def csv_safe(row: dict[str, Any]) -> dict[str, Any]:
    """Text cells made inert for spreadsheets and terminals (:mod:`gaiji.csvsafe`; ids already
    are, by construction). Numbers are left as numbers."""
    return {k: neutralise(v) if k in TEXT_COLUMNS and isinstance(v, str) else v for k, v in row.items()}


def read_candidates(path: str | Path) -> list[dict[str, str]]:
    """Read a candidates CSV back (strings, as written)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def match_set_to_file(
    set_dir: str | Path,
    output: str | Path,
    *,
    top_k: int = 10,
    fmt: str = "csv",
    home: Path | None = None,
    rebuild_index: bool = False,
    use_readings: bool = True,
    ref_sets: list[Any] | None = None,
    progress: Any = None,
    matcher: str = "v2",
) -> dict[str, Any]:
    """``gaiji match`` as one call: match the set, write the candidates, return a summary."""
    import time

    from gaiji.match.matcher import match_gaiji_set
    from gaiji.progress import no_progress
    from gaiji.reference import load_reference

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    started = time.monotonic()
    reference = load_reference(home)
    result = match_gaiji_set(
        set_dir, reference, top_k=top_k, progress=progress or no_progress,
        rebuild_index=rebuild_index, use_readings=use_readings, ref_sets=ref_sets, matcher=matcher,
    )
    rows = write_candidates(result, output, fmt=fmt)
    n = len(result.gaiji_ids)
    auto = int(result.ranked.auto_accept.sum())
    return {
        "set": str(set_dir),
        "output": str(output),
        "format": fmt,
        "gaiji": n,
        "blank": len(result.blank_ids),
        "rows": rows,
        "auto_accepted": auto,
        "auto_accept_share": round(auto / n, 4) if n else 0.0,
        "matcher": matcher,
        "no_match_suggested": int((result.ranked.no_match >= NO_MATCH_SUGGEST).sum()) if result.ranked.no_match is not None else 0,
        "reference_version": result.reference_version,
        "ref_sets": sorted({r.set_name for r in result.extra_rows}),
        "seconds": round(time.monotonic() - started, 2),
        "seconds_by_step": {k: round(v, 2) for k, v in result.seconds.items()},
    }
