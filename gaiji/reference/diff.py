"""``gaiji reference diff OLD NEW``: what changed between two builds of a reference — the MJ
reference (``<home>/reference``, e.g. two MJ table versions) or an added set
(``<home>/reference_sets/NAME``).

Entries are compared by identifier (MJ文字図形名, or the set's own identifier):

* ``added`` / ``removed`` — the identifier is only in NEW / only in OLD;
* ``re-pointed`` — the identifier is in both but one of its codes changed: the character
  (UCS + IVS), 戸籍統一文字番号, 住基ネット統一文字コード, 入管正字コード, 登記統一文字番号 (MJ),
  or the related MJ / UCS (sets). A 戸籍統一文字番号 moving from MJ a to MJ b is two
  re-pointed lines, a's (number → '') and b's ('' → number);
* ``glyph-changed`` — both builds draw the entry and its canonical raster differs in any pixel
  (or one build has a glyph and the other none). Rasters are compared only when both builds
  used the same render version (otherwise every glyph would differ; the diff says so).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.errors import InputError
from gaiji.render import CANONICAL_SIZE

MJ_CODES = ("char", "ucs", "ivs", "koseki", "juki", "nyukan", "touki")
SET_CODES = ("char", "ucs", "ivs", "koseki", "juki", "related_mj", "related_ucs")
KINDS = ("added", "removed", "re-pointed", "glyph-changed")


@dataclass(frozen=True)
class Change:
    kind: str
    id: str
    field: str = ""
    old: str = ""
    new: str = ""


@dataclass
class ReferenceBuild:
    """One build as the diff reads it."""

    path: Path
    kind: str  # 'MJ' or the set's name
    label: str
    render_version: str
    ids: list[str]
    codes: dict[str, dict[str, str]]
    has_glyph: dict[str, bool]
    rasters: np.ndarray


@dataclass
class ReferenceDiff:
    old: str
    new: str
    reference_set: str  # 'MJ' or the set's name
    changes: list[Change] = field(default_factory=list)
    rasters_compared: bool = True

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def changed_ids(self) -> set[str]:
        """Identifiers a decision may no longer fit (everything but ``added``)."""
        return {c.id for c in self.changes if c.kind != "added"}

    def as_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "reference_set": self.reference_set,
                "rasters_compared": self.rasters_compared,
                "counts": {k: self.count(k) for k in KINDS},
                "changes": [asdict(c) for c in self.changes]}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReferenceDiff:
        try:
            return cls(old=data["old"], new=data["new"], reference_set=data["reference_set"],
                       changes=[Change(**c) for c in data["changes"]],
                       rasters_compared=bool(data.get("rasters_compared", True)))
        except (KeyError, TypeError) as exc:
            raise InputError(f"not a diff written by `gaiji reference diff --json` ({exc})") from exc


def _build_folder(path: Path) -> Path:
    """A build folder, or a GAIJI_HOME holding ``reference/``."""
    if (path / "records.sqlite").is_file():
        return path
    if (path / "reference" / "records.sqlite").is_file():
        return path / "reference"
    raise InputError(
        f"{path}: not a reference build (no records.sqlite); give a built reference folder "
        "(GAIJI_HOME/reference, or a GAIJI_HOME) or an added set's folder (GAIJI_HOME/reference_sets/NAME)"
    )


def read_build(path: str | Path) -> ReferenceBuild:
    folder = _build_folder(Path(path))
    try:
        prov = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: unreadable provenance.json ({exc}); rebuild it") from exc
    con = sqlite3.connect(f"file:{folder / 'records.sqlite'}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type = 'table'")}
        if "entries" in tables:
            kind = str(prov.get("name") or folder.name)
            cols = SET_CODES
            rows = con.execute(f"select id, has_glyph, {', '.join(cols)} from entries order by idx").fetchall()
            key = prov["key"]
            render = str(key["render_version"])
            label = (f"{kind} (list {key['table'][:12]}, fonts " + ",".join(s[:12] for s in key["fonts"])
                     + f"; render {render})")  # as ReferenceSet.version_label
        else:
            kind = "MJ"
            cols = MJ_CODES
            rows = con.execute(f"select mj, has_glyph, {', '.join(cols)} from records order by idx").fetchall()
            src = prov["sources"]
            render = str(prov["key"]["render_version"])
            label = (f"IPAmj明朝 {src['ipamj_font']['version']} + mojidata {src['mojidata']['version']} "
                     f"(render {render})")  # as Reference.version_label: what decisions record
    finally:
        con.close()
    n = len(rows)
    rasters = np.memmap(folder / "rasters.u8", dtype=np.uint8, mode="r",
                        shape=(max(n, 1), CANONICAL_SIZE, CANONICAL_SIZE))[:n]
    ids = [r[0] for r in rows]
    return ReferenceBuild(
        path=folder, kind=kind, label=label, render_version=render, ids=ids,
        codes={r[0]: {c: str(v or "") for c, v in zip(cols, r[2:])} for r in rows},
        has_glyph={r[0]: bool(r[1]) for r in rows}, rasters=rasters,
    )


def diff_builds(old_path: str | Path, new_path: str | Path) -> ReferenceDiff:
    """Every change between two builds of the same reference (see the module docstring)."""
    old, new = read_build(old_path), read_build(new_path)
    if old.kind != new.kind:
        raise InputError(f"{old.path} is {old.kind} and {new.path} is {new.kind}: compare two builds of one reference")
    out = ReferenceDiff(old=old.label, new=new.label, reference_set=old.kind,
                        rasters_compared=old.render_version == new.render_version)
    old_pos = {i: n for n, i in enumerate(old.ids)}
    new_pos = {i: n for n, i in enumerate(new.ids)}
    for i in new.ids:
        if i not in old_pos:
            out.changes.append(Change("added", i, "", "", new.codes[i].get("char", "")))
    for i in old.ids:
        if i not in new_pos:
            out.changes.append(Change("removed", i, "", old.codes[i].get("char", ""), ""))
    common = [i for i in old.ids if i in new_pos]
    for i in common:
        a, b = old.codes[i], new.codes[i]
        for name in a:
            if a[name] != b.get(name, ""):
                out.changes.append(Change("re-pointed", i, name, a[name], b.get(name, "")))
    if out.rasters_compared and common:
        oi = np.array([old_pos[i] for i in common])
        ni = np.array([new_pos[i] for i in common])
        differs = np.zeros(len(common), bool)
        step = 4096
        for s in range(0, len(common), step):
            a_r = np.asarray(old.rasters[oi[s : s + step]]).reshape(len(oi[s : s + step]), -1)
            b_r = np.asarray(new.rasters[ni[s : s + step]]).reshape(len(ni[s : s + step]), -1)
            differs[s : s + step] = (a_r != b_r).any(axis=1)
        for i, d in zip(common, differs):
            had, has = old.has_glyph[i], new.has_glyph[i]
            if had != has:
                out.changes.append(Change("glyph-changed", i, "has_glyph", str(int(had)), str(int(has))))
            elif d and has:
                out.changes.append(Change("glyph-changed", i, "raster", "", ""))
    order = {k: n for n, k in enumerate(KINDS)}
    out.changes.sort(key=lambda c: (order[c.kind], c.id, c.field))
    return out


def read_diff(path: str | Path) -> ReferenceDiff:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable diff ({exc}); write one with `gaiji reference diff OLD NEW --json -o FILE`") from exc
    return ReferenceDiff.from_dict(data)
