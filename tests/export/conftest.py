"""Fixtures for export/validate/convert: a small gaiji set with real review decisions
(recorded through :class:`gaiji.review.store.ReviewStore`) against the real MJ reference."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from gaiji.extract.gaijiset import COLUMNS, rows_to_csv
from gaiji.review.store import ReviewStore

FORMULA_SOURCE = "=HYPERLINK(\"http://x\")"

# (gaiji_id, source, code, what happens in review)
GLYPHS = [
    ("g1", "EUDC.TTE", "U+E000", ("two", "MJ030302", "字形一致")),  # 辶 + U+E0102
    ("g2", "EUDC.TTE", "U+E001", ("auto", "MJ007607", "字形一致")),  # 剣 variant, auto-accepted
    ("g3", "EUDC.TTE", "U+E002", ("two", None, "該当なし")),
    ("g4", "EUDC.TTE", "U+E003", ("none",)),  # pending: nobody looked yet
    ("g5", "EUDC.TTE", "U+E004", ("disputed", "MJ000078", "MJ017235")),
    ("g6", FORMULA_SOURCE, "U+E005", ("two", "MJ017235", "デザイン差")),  # 珵 + IVS, no 縮退マップ row
    ("g7", "EUDC.TTE", "U+E006", ("one", "MJ000078", "類似")),  # decided, awaiting the check
    ("g8", "gaiji.bdf", "0xF040", ("two", "MJ000078", "字形一致")),  # BDF in Shift_JIS order
]


@dataclass
class DecidedSet:
    path: Path
    expected: dict[str, str]  # gaiji_id → exported char of final, identified rows


def write_set(folder: Path, glyphs=GLYPHS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{c: "" for c in COLUMNS} | {"gaiji_id": g, "source": s, "code": c, "width": "16", "height": "16",
                                         "image": f"glyphs/{g}.png"} for g, s, c, _ in glyphs]
    (folder / "glyphs.csv").write_text(rows_to_csv(rows), encoding="utf-8")
    return folder


def record_reviews(folder: Path, reference, glyphs=GLYPHS) -> dict[str, str]:
    store = ReviewStore.open(folder)
    expected: dict[str, str] = {}
    version = reference.version_label
    for gid, _source, _code, plan in glyphs:
        kind = plan[0]
        if kind == "two":
            mj, cls = plan[1], plan[2]
            choice = None if mj is None else {"mj": mj, "char": reference.record(mj).char}
            store.record_decision(gid, "sato", choice, cls, reference_version=version)
            store.record_decision(gid, "suzuki", choice, cls, reference_version=version)
            if mj:
                expected[gid] = reference.record(mj).char
        elif kind == "auto":
            rec = reference.record(plan[1])
            store.record_auto_accept(gid, {"mj": rec.mj, "char": rec.char, "ucs": rec.ucs, "ivs": rec.ivs,
                                           "rank": 1, "score": 0.99, "confidence": 0.999},
                                     reference_version=version)
            expected[gid] = rec.char
        elif kind == "disputed":
            store.record_decision(gid, "sato", {"mj": plan[1]}, "字形一致", reference_version=version)
            store.record_decision(gid, "suzuki", {"mj": plan[2]}, "字形一致", reference_version=version)
        elif kind == "one":
            store.record_decision(gid, "sato", {"mj": plan[1]}, plan[2], reference_version=version)
    store.close()
    return expected


@pytest.fixture
def decided_set(tmp_path: Path, reference) -> DecidedSet:
    folder = write_set(tmp_path / "set")
    return DecidedSet(folder, record_reviews(folder, reference))


def read_csv_rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))
