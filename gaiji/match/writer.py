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
import functools
import io
import json
import math
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.csvsafe import neutralise
from gaiji.errors import InputError
from gaiji.fsutil import atomic_write
from gaiji.match.matcher import MatchResult
from gaiji.match.ranking import RankedBatch
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


def decimal_text(value: float, digits: int) -> str:
    """``repr(round(value, digits))`` — what the CSV writer prints for the rounded number — made
    without the float in between: fixed-point formatting rounds the exact binary value
    half-to-even as ``round`` does, and the shortest text of the result is those digits without
    trailing zeros. '' for NaN. The reference definition: :func:`rounded_column` (the writer's hot
    loop) gives the same texts a column at a time, and calls this for the values it cannot settle.

    >>> [decimal_text(v, 4) for v in (0.123449, 2.0, -0.00001, 1e-7, float("nan"))]
    ['0.1234', '2.0', '-0.0', '0.0', '']
    """
    if math.isnan(value):
        return ""
    if not -1e15 < value < 1e15:  # where repr would switch to an exponent
        return repr(round(value, digits))
    text = f"{value:.{digits}f}"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


#: |value| up to which :func:`rounded_column` looks rounded values up instead of formatting them:
#: covers the score, confidence, gap (-1 to 1) and verifier columns with room to spare.
TABLE_BOUND = 2
#: digits the lookup tables are made for (a table holds 2 * TABLE_BOUND * 10**digits + 1 texts)
TABLE_DIGITS = range(1, 6)
#: how close (relative to the scaled value) to a half the float product ``value * 10**digits``
#: may be before it no longer settles the side of the half the exact product lies on: those values
#: (ties like 0.00005 and their neighbours) go to :func:`decimal_text`, as values outside the table
#: and infinities do. The product is off by at most 2**-53 relative (1.1e-16) and, rounding being
#: monotonic and halves representable, can reach a half but not pass it, so even 0 would do: 1e-9 is
#: a margin of safety that sends a share 2e-9 * |value * 10**digits| of the values one by one (2 in
#: 100,000 at |value| ~ 1, 4 digits).
TIE_MARGIN = 1e-9


@functools.cache
def _decimal_table(digits: int) -> np.ndarray:
    """:func:`decimal_text` of every multiple of 10**-digits in [-TABLE_BOUND, TABLE_BOUND], the
    one of ``q / 10**digits`` at index ``q + TABLE_BOUND * 10**digits`` (an object array of str).
    Made from the integer ``q`` (no float in between): '0.0' for zero, the shortest text otherwise."""
    scale = 10 ** digits
    fractions = [f"{f:0{digits}d}".rstrip("0") or "0" for f in range(scale)]
    positive = [f"{whole}.{fraction}" for whole in range(TABLE_BOUND) for fraction in fractions]
    positive.append(f"{TABLE_BOUND}.0")
    return np.array([f"-{t}" for t in reversed(positive[1:])] + positive, dtype=object)


def rounded_column(values: Any, digits: int, *, as_text: bool) -> np.ndarray:
    """Every value rounded to ``digits`` decimals, vectorised (an object array of the same shape):
    as text, :func:`decimal_text` of it; else ``round(value, digits)`` (a float); '' for NaN.

    Calling :func:`decimal_text` per value was 40 % of the CSV write (1.04 M calls, 1.56 s of
    3.8 s for 130,000 rows): here the value times 10**digits is rounded to the integer ``q``
    in one go and ``q`` looked up in a table of texts (or divided back: ``q / 10**digits`` is
    the float nearest the decimal, as ``round`` returns). That ``q`` is the exact value's rounding
    unless the product is within :data:`TIE_MARGIN` of a half — those values, and those outside
    the table, are formatted one by one as before (3 of the 1.04 M values). Negative values
    rounding to zero keep their sign ('-0.0', as ``round`` and :func:`decimal_text` give).
    Measured on those rows: ``format_rows`` 2.1 s → 1.0 s CPU, the same bytes; the tables of 3
    and 4 digits take 15 ms to make, once per process.
    """
    x = np.asarray(values, np.float64)
    nan = np.isnan(x)
    if digits not in TABLE_DIGITS:
        return _one_by_one(x, digits, as_text=as_text, todo=~nan, out=_blanks(x.shape, nan))
    scale = 10 ** digits
    bound = TABLE_BOUND * scale
    with np.errstate(invalid="ignore"):  # NaN and inf compare False: not fast
        y = x * float(scale)
        q = np.rint(y)
        fast = (np.abs(y) <= bound) & (np.abs(y - np.floor(y) - 0.5) > TIE_MARGIN * np.maximum(1.0, np.abs(y)))
    out = _blanks(x.shape, nan)
    if as_text:
        picked = _decimal_table(digits).take(np.where(fast, q, 0).astype(np.intp) + bound)
        out[fast] = picked[fast]
        out[fast & (q == 0) & np.signbit(x)] = "-0.0"
    else:
        out[fast] = (q[fast] / scale).tolist()  # rint keeps the sign of zero: -0.0 stays
    return _one_by_one(x, digits, as_text=as_text, todo=~(fast | nan), out=out)


def _blanks(shape: tuple[int, ...], nan: np.ndarray) -> np.ndarray:
    """An object array to fill, '' already where the value is NaN (no number to print)."""
    out = np.empty(shape, dtype=object)
    out[nan] = ""
    return out


def _one_by_one(x: np.ndarray, digits: int, *, as_text: bool, todo: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` where ``todo`` with the rounding of ``x`` worked out value by value (the
    reference definitions: :func:`decimal_text`, ``round``)."""
    for at in zip(*np.nonzero(todo)):
        v = float(x[at])
        out[at] = decimal_text(v, digits) if as_text else round(v, digits)
    return out


def write_candidates(result: MatchResult, path: str | Path, *, fmt: str = "csv", workers: int = 1) -> int:
    """Write the candidates atomically; returns the number of rows written.

    ``workers`` > 1: large results are formatted by that many forked processes, slice by
    slice, and written in order (the same bytes as one process writes). Rows the matcher
    formatted already, batch by batch where it ranked them (``match_gaiji_set(…,
    formatting=fmt)``), are copied as they are.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    n = len(result.gaiji_ids)
    done = result.formatted
    if done and all(f == fmt for f, _, _ in done) and sum(rows for _, _, rows in done) == result.ranked.rows.size:
        texts: Any = ((text, rows) for _, text, rows in done)
    else:
        texts = _formatted(result, fmt, _slices(n, workers), workers)
    count = 0
    with atomic_write(path) as out:
        if fmt == "csv":
            out.write(_csv_line(COLUMNS))
        for text, rows in texts:
            out.write(text)
            count += rows
    return count


PARALLEL_WRITE_MIN = 4000  # gaiji; below this, forking costs more than it saves


def _slices(n: int, workers: int) -> list[tuple[int, int]]:
    parts = 1 if workers <= 1 or n < PARALLEL_WRITE_MIN else 2 * workers
    step = -(-n // parts) if n else 1
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)] or [(0, 0)]


def _csv_line(cells: Any) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


#: the result forked formatting workers read (set just before the pool forks, cleared after)
_FORMATTING: dict[str, Any] = {}


def _format_slice(bounds: tuple[int, int]) -> tuple[str, int]:
    return format_rows(_FORMATTING["result"], _FORMATTING["fmt"], *bounds)


def _formatted(result: MatchResult, fmt: str, slices: list[tuple[int, int]], workers: int) -> Iterator[tuple[str, int]]:
    from gaiji.match.matcher import _fork_context

    context = _fork_context() if len(slices) > 1 else None
    if context is None:
        for lo, hi in slices:
            yield format_rows(result, fmt, lo, hi)
        return
    from concurrent.futures import ProcessPoolExecutor

    _FORMATTING.update(result=result, fmt=fmt)  # inherited by the workers at fork
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield from pool.map(_format_slice, slices)
    finally:
        _FORMATTING.clear()


def format_rows(result: MatchResult, fmt: str, lo: int, hi: int) -> tuple[str, int]:
    """The candidate rows of gaiji ``lo`` to ``hi`` (in set order) as CSV or JSON Lines text
    (CSV without the header), and how many rows that is."""
    buf = io.StringIO()
    count = 0
    if fmt == "csv":
        writer = csv.writer(buf, lineterminator="\n")
        for row in _rows(result, text=neutralise, lo=lo, hi=hi, numbers_as_text=True):
            writer.writerow(row)
            count += 1
    else:
        for row in _rows(result, text=str, lo=lo, hi=hi):
            buf.write(json.dumps(dict(zip(COLUMNS, row)), ensure_ascii=False) + "\n")
            count += 1
    return buf.getvalue(), count


def _rows(result: MatchResult, *, text: Callable[[str], str], lo: int = 0, hi: int | None = None,
          numbers_as_text: bool = False) -> Iterator[list[Any]]:
    """Every candidate row's cells in :data:`COLUMNS` order (of gaiji ``lo`` to ``hi``), built
    column-wise: the numbers rounded a column at a time (:func:`rounded_column`), what depends on
    the reference row worked out once per row, what depends on the gaiji once per gaiji. Free
    text goes through ``text`` (the CSV neutralises it, see :mod:`gaiji.csvsafe`). The CSV takes
    the numbers as the text it would print (:func:`decimal_text`)."""
    hi = len(result.gaiji_ids) if hi is None else hi
    rk = result.ranked
    version = text(result.reference_version)
    v2 = rk.verify_score is not None
    k = rk.rows.shape[1]

    def col(a: Any, digits: int) -> list[Any]:
        return rounded_column(np.asarray(a)[lo:hi], digits, as_text=numbers_as_text).tolist()

    score, conf, image, rerank = col(rk.score, 4), col(rk.confidence, 4), col(rk.image_score, 4), col(rk.rerank_score, 4)
    reading, rs, gap = col(rk.reading_score, 3), col(rk.radical_strokes_score, 3), col(rk.gap, 4)
    if v2:
        verify, ucs_conf, no_match = col(rk.verify_score, 4), col(rk.ucs_confidence, 4), col(rk.no_match, 4)
    ids = rk.rows[lo:hi].tolist()
    about = _about_rows(result, ids, text)
    autos = np.asarray(rk.auto_accept[lo:hi], bool).tolist()
    for c, i in enumerate(range(lo, hi)):  # c: row in the column lists
        gid_cell = text(result.gaiji_ids[i])
        matched = rk.reading_matched[i] if rk.reading_matched else None
        if v2:
            tail = (ucs_conf[c], no_match[c])
            stratum = rk.stratum[i] if rk.stratum else ""
            evidence = text(rk.evidence[i]) if rk.evidence else ""
        for j in range(k):
            mj, ucs, ivs, char, ref_set, ref_id, twin = about[ids[c][j]]
            row = [gid_cell, j + 1, mj, ucs, ivs, char, score[c][j], conf[c][j], int(autos[c]) if j == 0 else 0,
                   image[c][j], rerank[c][j], reading[c][j], text(matched[j]) if matched else "", rs[c][j],
                   gap[c][j], version, ref_set, ref_id, twin]
            if v2:
                row += [*tail, verify[c][j], "v2", stratum, evidence if j == 0 else ""]
            else:
                row += ["", "", "", "v1", "", ""]
            yield row


def _about_rows(result: MatchResult, ids: list[list[int]], text: Callable[[str], str]) -> dict[int, tuple[str, ...]]:
    """The cells that depend on the reference row only (mj, ucs, ivs, char, ref_set, ref_id,
    same_glyph_as), for every row among the candidates ``ids``: worked out once per row, up front
    (a lookup in the row loop; a cached call per cell was 0.4 s of the 130,000-row write)."""
    from gaiji.match.refsets import ref_id_of, ref_set_of, row_info
    from gaiji.match.twins import same_glyph_as

    rows = result.index.rows
    about: dict[int, tuple[str, ...]] = {}
    for line in ids:
        for r in line:
            if r not in about:
                info = row_info(rows, result.extra_rows, r)
                twin = (same_glyph_as(result.same_glyph, rows, r)
                        if result.same_glyph is not None and r < len(rows) else "")
                about[r] = (info.mj, info.ucs, info.ivs, text(info.char), ref_set_of(info), ref_id_of(info), twin)
    return about


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

    from gaiji.match.matcher import _cores, match_gaiji_set
    from gaiji.progress import no_progress

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    started = time.monotonic()
    result = match_gaiji_set(  # loads the reference of `home` while its workers read the images
        set_dir, None, top_k=top_k, progress=progress or no_progress, home=home,
        rebuild_index=rebuild_index, use_readings=use_readings, ref_sets=ref_sets, matcher=matcher,
        formatting=fmt,  # the rows are written out as text where they are ranked
    )
    t_write = time.monotonic()
    rows = write_candidates(result, output, fmt=fmt, workers=_cores())
    result.seconds["write"] = time.monotonic() - t_write
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
        "for_review": review_reasons(result.ranked, getattr(result.index.trust, "thresholds", None)),
        "edited_glyphs": _edited_count(result.ranked.evidence),
        "reference_version": result.reference_version,
        "ref_sets": sorted({r.set_name for r in result.extra_rows}),
        "seconds": round(time.monotonic() - started, 2),
        "seconds_by_step": {k: round(v, 2) for k, v in result.seconds.items()},
    }


def _without_threshold(thresholds: Mapping[str, float | None] | None, stratum: str) -> bool:
    """Whether no cut was found for ``stratum`` (never auto-accepted there)."""
    if thresholds is None:
        return True
    t = thresholds.get(stratum)
    return t is None or not math.isfinite(t)


def review_reasons(ranked: RankedBatch, thresholds: Mapping[str, float | None] | None = None) -> dict[str, int]:
    """Why the gaiji that were not auto-accepted were left to a reviewer (match v2), each counted
    once, in this order: 該当なし suggested (``no_match``); "which variant?" (another variant of
    the rank-1 character on the shortlist: those strata never auto-accept); a small bitmap (≤ 16
    px) in a stratum without a threshold (no cut held the bound there); rank 1 has a look-alike of
    another character in MJ (never auto-accepted, its evidence names it); rank 1 came with the
    ledger's reading (never auto-accepted: gaiji.match.reading_candidates); the picture has lines
    along its edges (never auto-accepted: gaiji.extract.frames); below its stratum's threshold.
    ``thresholds``: the trust model's, per stratum (None: no small stratum has one).
    Empty for v1."""
    from gaiji.match.verified import evidence_notes

    if ranked.no_match is None or not any(ranked.stratum):
        return {}
    open_ = ~np.asarray(ranked.auto_accept, bool)
    stratum = np.asarray(ranked.stratum, dtype=str)
    closed = np.array([_without_threshold(thresholds, str(name)) for name in stratum], bool)
    notes = [evidence_notes(text) for text in ranked.evidence] if len(ranked.evidence) == len(open_) else []
    noted = lambda key: (np.array([bool(n[key]) for n in notes], bool) if notes
                         else np.zeros(len(open_), bool))
    reasons = {  # in this order: each open gaiji counts for the first that applies
        "no_match_suggested": np.asarray(ranked.no_match) >= NO_MATCH_SUGGEST,
        "which_variant": np.char.endswith(stratum, "/siblings"),
        "small_bitmap": np.char.startswith(stratum, "small/") & closed,
        "lookalike": noted("lookalike"),
        "reading_first": noted("reading_first"),
        "framed": noted("framed"),
        "cut_off": noted("cut_off"),
        "colour_marks": noted("colour_marks"),
    }
    left = open_.copy()
    counts = {"total": int(open_.sum())}
    for name, applies in reasons.items():
        counts[name] = int((left & applies).sum())
        left &= ~applies
    counts["below_threshold"] = int(left.sum())
    return counts


def _edited_count(evidence: list[str] | None) -> int:
    """Gaiji whose evidence says they look like an MJ glyph mirrored or turned (match v2)."""
    from gaiji.match.verified import evidence_notes

    return sum(1 for text in evidence or () if evidence_notes(text)["edited"] is not None)
