"""What the held-out benchmarks (``heldout_bitmaps.py``, ``heldout_outlines.py``,
``heldout_variants.py``) share: their command line, their output, and the ranking of a font's
glyphs twice — as drawn, and with every MJ glyph of their character hidden (a gaiji MJ lacks,
drawn so)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import numpy as np


def parser(doc: str | None, *, per_font: bool = True) -> argparse.ArgumentParser:
    """The scripts' options: ``--json`` and, where glyphs are sampled per font, ``--per-font``
    and ``--seed``."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if per_font:
        ap.add_argument("--per-font", type=int, default=600)
        ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    return ap


def report(rows: list[dict], as_json: bool, header: str, line: Callable[[dict], str]) -> int:
    """The rows as JSON, or as a table: ``header`` then ``line(row)`` per row."""
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(header)
    for r in rows:
        print(line(r))
    return 0


def present_and_hidden(index: Any, rasters: np.ndarray, sides: np.ndarray, answers: np.ndarray) -> dict[str, Any]:
    """Rank the glyphs (no readings) as drawn and with their character hidden; the rankings
    (``present``, ``hidden``), per glyph ``first`` (the answer ranked first), ``auto`` and
    ``hidden_auto`` (auto-accepted), and the measures every script prints (``row``)."""
    from gaiji.match.trust import NO_MATCH_SUGGEST
    from gaiji.match.verified import rank_rasters_verified

    present = rank_rasters_verified(index, rasters, top_k=10, sides=sides)
    hidden = rank_rasters_verified(index, rasters, top_k=10, sides=sides, exclude_groups=index.groups[answers])
    first = present.rows[:, 0] == answers
    auto = np.asarray(present.auto_accept, bool)
    return {
        "present": present, "hidden": hidden, "first": first, "auto": auto,
        "hidden_auto": np.asarray(hidden.auto_accept, bool),
        "row": {
            "mj_at_1": round(float(first.mean()), 4),
            "mj_at_10": round(float((present.rows == answers[:, None]).any(axis=1).mean()), 4),
            "auto": round(float(auto.mean()), 4), "auto_wrong": int((auto & ~first).sum()),
            "no_match_flagged": round(float((present.no_match >= NO_MATCH_SUGGEST).mean()), 4),
        },
    }
