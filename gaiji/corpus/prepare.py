"""Stage 1 of a corpus run: every gaiji's canonical raster, features and ledger hints.

One partition is one block of one set (:data:`BLOCK` gaiji). It calls the same library
functions ``gaiji match`` calls for a set (:func:`gaiji.match.matcher.prepare_queries`,
:func:`gaiji.match.matcher.hints_for`), so the corpus and the per-set path see identical
queries. The part file is named by a fingerprint of its input (the set's ``glyphs.csv``, the
block, :data:`PREPARE_VERSION`): a re-run keeps every finished part and a changed set is
prepared again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from gaiji.corpus.registry import SetEntry
from gaiji.corpus.tables import part_path, write_parquet
from gaiji.errors import ContractError

PREPARE_VERSION = "3"
BLOCK = 2048
TABLE = "gaiji"
RASTER_BYTES = 64 * 64
FEATURE_DIM = 512


@dataclass(frozen=True)
class PreparePartition:
    """A block of one set to prepare (everything a worker needs; small to ship)."""

    corpus: str
    entry: SetEntry
    start: int
    stop: int
    fingerprint: str

    @property
    def path(self) -> Path:
        part = f"{self.entry.name}-{self.start:07d}-{self.fingerprint[:12]}"
        return part_path(self.corpus, TABLE, self.entry.code, part)


def set_fingerprint(set_dir: Path) -> str:
    from gaiji.fsutil import sha256_file

    return sha256_file(set_dir / "glyphs.csv")


def plan_prepare(corpus: str | Path, entries: list[SetEntry]) -> list[PreparePartition]:
    """The partitions of every registered set (reads each set's glyphs.csv to count it)."""
    from gaiji.extract.gaijiset import read_gaiji_set

    out: list[PreparePartition] = []
    for e in entries:
        set_dir = e.set_dir(Path(corpus))
        n = len(read_gaiji_set(set_dir))
        if n == 0:
            raise ContractError(
                f"{set_dir}: the gaiji set {e.name} has no glyphs; run `gaiji extract` on its sources"
            )
        digest = hashlib.sha256(f"{set_fingerprint(set_dir)}:{PREPARE_VERSION}:{BLOCK}".encode()).hexdigest()
        for start in range(0, n, BLOCK):
            out.append(PreparePartition(str(corpus), e, start, min(n, start + BLOCK), digest))
    return out


def hints_key(reading: str, extra: dict[str, str]) -> str:
    """The ledger hints of one gaiji as a stable string (what the matcher will see)."""
    from gaiji.match.matcher import hints_for

    h = hints_for(reading, extra)
    return json.dumps([list(h.readings), h.radical, h.strokes], ensure_ascii=False)


def raster_hash(raster: np.ndarray) -> str:
    """Identity of a canonical raster: identical glyphs after normalisation share it."""
    return hashlib.blake2b(np.ascontiguousarray(raster, np.uint8).tobytes(), digest_size=16).hexdigest()


def prepare_partition(part: PreparePartition) -> str:
    """Prepare one block and write its part file (skipped when the part already exists)."""
    path = part.path
    if path.is_file():
        return str(path)
    from gaiji.extract.gaijiset import read_gaiji_set
    from gaiji.match.matcher import prepare_queries

    set_dir = part.entry.set_dir(Path(part.corpus))
    records = read_gaiji_set(set_dir).records[part.start : part.stop]
    todo = [i for i, r in enumerate(records) if not r.blank]
    for i in todo:
        if not records[i].image_path.is_file():
            r = records[i]
            raise ContractError(f"{r.image_path}: image of {r.gaiji_id} is missing; re-run gaiji extract")
    rasters, feats, sides = prepare_queries([str(records[i].image_path) for i in todo], workers=1)
    n = len(records)
    all_rasters = np.zeros((n, 64, 64), np.uint8)
    all_feats = np.zeros((n, FEATURE_DIM), np.float32)
    all_sides = np.zeros(n, np.int64)
    all_rasters[todo] = rasters
    all_feats[todo] = feats
    all_sides[todo] = sides
    blank = [r.blank for r in records]
    for j, i in enumerate(todo):
        blank[i] = bool(rasters[j].max() == 0)
    table = pa.table({
        "municipality": [part.entry.code] * n,
        "set": [part.entry.name] * n,
        "gaiji_id": [r.gaiji_id for r in records],
        "position": np.arange(part.start, part.start + n, dtype=np.int64),
        "blank": blank,
        "declared_blank": [r.blank for r in records],
        "raster_hash": ["" if b else raster_hash(all_rasters[i]) for i, b in enumerate(blank)],
        "side": all_sides,
        "hints": [hints_key(r.reading, r.extra) for r in records],
        "reading": [r.reading for r in records],
        "extra": [json.dumps(r.extra, ensure_ascii=False, sort_keys=True) for r in records],
        "raster": pa.array([all_rasters[i].tobytes() for i in range(n)], pa.binary(RASTER_BYTES)),
        "features": pa.FixedSizeListArray.from_arrays(pa.array(all_feats.reshape(-1)), FEATURE_DIM),
    })
    write_parquet(table, path)
    return str(path)


def features_of(table: pa.Table) -> np.ndarray:
    col = table.column("features").combine_chunks()
    return np.asarray(col.values.to_numpy(zero_copy_only=False), np.float32).reshape(-1, FEATURE_DIM)


def rasters_of(table: pa.Table) -> np.ndarray:
    col = table.column("raster").combine_chunks()
    buf = col.buffers()[1]
    return np.frombuffer(buf, np.uint8, count=len(col) * RASTER_BYTES,
                         offset=col.offset * RASTER_BYTES).reshape(-1, 64, 64)


def stale_parts(corpus: str | Path, parts: list[PreparePartition]) -> list[Path]:
    """Part files of this table that no planned partition produces (old fingerprints)."""
    from gaiji.corpus.tables import table_dir

    keep = {p.path for p in parts}
    root = table_dir(corpus, TABLE)
    return [f for f in root.rglob("*.parquet") if f not in keep] if root.is_dir() else []
