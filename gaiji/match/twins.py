"""MJ entries that are the same glyph, and the tie rule the candidates list follows for them.

Some MJ文字図形名 draw one and the same glyph: the MJ table's notes name them (``MJ033215・
MJ033216は、戸籍統一文字において、同一字形であり…``, ``MJ059043は、MJ059042と同一の字形…``),
and a few more IPAmj glyphs come out byte-identical after canonical normalisation (e.g. the
月/肉 pairs 䑃 MJ003890 / 朦󠄂 MJ013573, and hentaigana merged into one letter). A picture
cannot tell such entries apart, yet they carry different codes (戸籍統一文字番号, UCS/IVS), so:

**Tie rule.** Whenever one entry of a same-glyph group is a candidate, the whole group is
listed together, at the place of its best-placed member, in this deterministic order of
preference:

1. the entry with a 戸籍統一文字番号 before one without (the table removed it from the
   duplicate, e.g. MJ040579 / MJ059043),
2. then one with a 住基ネット統一文字コード,
3. then one drawn at a plain code point (実装したUCS, no IVS needed to show it),
4. then the lower MJ number.

Each member keeps its own evidence; a member that was not in the list is given its twin's
picture scores (the same glyph). The ``same_glyph_as`` column names the other members, and a
same-glyph entry at rank 1 is never auto-accepted: which code it becomes is a reviewer's call.

The groups are computed once per reference build and cached in ``$GAIJI_CACHE``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.match.ranking import RankedBatch

log = logging.getLogger(__name__)

TWINS_VERSION = "1"
_PAIR_NOTE = re.compile(r"(MJ\d{6})・(MJ\d{6})は、戸籍統一文字において、同一字形")
_SAME_AS_NOTE = re.compile(r"^(MJ\d{6})は、(MJ\d{6})と同一の字形")


@dataclass(frozen=True)
class SameGlyphGroups:
    """Row numbers of the MJ reference grouped by same glyph, each group in preference order."""

    groups: tuple[tuple[int, ...], ...]
    sources: tuple[str, ...]  # per group: 'note', 'raster' or 'note+raster'

    def __post_init__(self) -> None:
        object.__setattr__(self, "_of", {r: g for g in self.groups for r in g})

    def group_of(self, row: int) -> tuple[int, ...] | None:
        return self._of.get(row)  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.groups)


def _preference_key(rec: Any) -> tuple[int, int, int, str]:
    return (0 if rec.koseki else 1, 0 if rec.juki else 1, 0 if rec.implemented_ucs else 1, rec.mj)


def find_same_glyph_groups(reference: Any) -> tuple[list[list[str]], list[str]]:
    """(groups of MJ numbers, where each group comes from) — notes of the MJ table and
    byte-identical canonical rasters, merged."""
    con = sqlite3.connect(f"file:{Path(reference.home) / 'records.sqlite'}?mode=ro", uri=True)
    try:
        notes = con.execute("select mj, data from records where data like '%同一%字形%'").fetchall()
    finally:
        con.close()
    edges: list[tuple[str, str, str]] = []
    for mj, data in notes:
        note = json.loads(data).get("note", "")
        for m in (*_PAIR_NOTE.finditer(note), *_SAME_AS_NOTE.finditer(note)):
            edges.append((m.group(1), m.group(2), "note"))
    rasters = np.asarray(reference.rasters).reshape(len(reference), -1)
    by_hash: dict[bytes, list[int]] = {}
    for i in np.flatnonzero(np.asarray(reference.has_glyph, bool)):
        if rasters[i].any():
            by_hash.setdefault(hashlib.blake2b(rasters[i].tobytes(), digest_size=16).digest(), []).append(int(i))
    for rows in by_hash.values():
        for other in rows[1:]:
            edges.append((reference.mj_ids[rows[0]], reference.mj_ids[other], "raster"))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    kinds: dict[tuple[str, str], set[str]] = {}
    for a, b, kind in edges:
        parent[find(a)] = find(b)
        kinds.setdefault((a, b), set()).add(kind)
    members: dict[str, list[str]] = {}
    for x in parent:
        members.setdefault(find(x), []).append(x)
    groups, sources = [], []
    for group in sorted((sorted(g) for g in members.values() if len(g) > 1), key=lambda g: g[0]):
        recs = sorted((reference.record(m) for m in group), key=_preference_key)
        groups.append([r.mj for r in recs])
        found = set().union(*(k for (a, b), k in kinds.items() if a in group))
        sources.append("+".join(sorted(found)))
    return groups, sources


_LOADED: dict[str, SameGlyphGroups] = {}


def same_glyph_groups(reference: Any) -> SameGlyphGroups:
    """The groups of *reference*, computed on first use and cached per build."""
    from gaiji.paths import gaiji_cache

    key = hashlib.sha256(json.dumps([TWINS_VERSION, reference.version.get("key")], sort_keys=True,
                                    default=str).encode()).hexdigest()[:16]
    if key in _LOADED:
        return _LOADED[key]
    path = gaiji_cache() / f"mj_same_glyph-{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        groups, sources = data["groups"], data["sources"]
    except (OSError, ValueError, KeyError):
        groups, sources = find_same_glyph_groups(reference)
        try:
            from gaiji.fsutil import atomic_write

            with atomic_write(path) as fh:
                json.dump({"groups": groups, "sources": sources}, fh, ensure_ascii=False)
        except OSError as exc:  # a read-only cache only costs the next run a second
            log.info("could not cache same-glyph groups in %s (%s)", path, exc)
    out = SameGlyphGroups(tuple(tuple(reference.index_of(m) for m in g) for g in groups), tuple(sources))
    _LOADED[key] = out
    return out


def apply_tie_rule(ranked: RankedBatch, groups: SameGlyphGroups) -> RankedBatch:
    """List same-glyph groups together in preference order (see the module docstring)."""
    if len(groups) == 0 or len(ranked) == 0:
        return ranked
    q, k = ranked.rows.shape
    pick_row = ranked.rows.copy()
    pick_col = np.tile(np.arange(k), (q, 1))
    touched = np.zeros(q, bool)
    for i in range(q):
        row_list = [int(r) for r in ranked.rows[i]]
        if not any(groups.group_of(r) for r in row_list):
            continue
        col_of = {r: j for j, r in reversed(list(enumerate(row_list)))}
        out: list[tuple[int, int]] = []
        placed: set[int] = set()
        for j, r in enumerate(row_list):
            if r in placed:
                continue
            members: Sequence[int] = groups.group_of(r) or (r,)
            for m in members:
                if m not in placed:
                    out.append((m, col_of.get(m, j)))
                    placed.add(m)
        out = out[:k]
        pick_row[i] = [m for m, _ in out]
        pick_col[i] = [c for _, c in out]
        touched[i] = True
    if not touched.any():
        return ranked
    values: dict[str, Any] = {}
    for f in dataclasses.fields(ranked):
        a = getattr(ranked, f.name)
        if f.name == "rows":
            values[f.name] = pick_row
        elif isinstance(a, np.ndarray) and a.ndim == 2 and a.shape == (q, k):
            values[f.name] = np.take_along_axis(a, pick_col, 1)
        elif f.name == "reading_matched" and a:
            values[f.name] = [[a[i][int(c)] for c in pick_col[i]] for i in range(q)]
        else:
            values[f.name] = a
    auto = np.array(ranked.auto_accept, bool, copy=True)
    auto &= np.array([groups.group_of(int(r)) is None for r in pick_row[:, 0]])
    values["auto_accept"] = auto
    return RankedBatch(**values)


def same_glyph_as(groups: SameGlyphGroups, mj_rows: Sequence[Any], row: int) -> str:
    """The MJ numbers of the other members of *row*'s group, space-separated ('' if none)."""
    group = groups.group_of(row)
    return " ".join(mj_rows[m].mj for m in group if m != row) if group else ""
