"""Corpus tables in Parquet (pyarrow): written atomically, partitioned by municipality.

A table is a folder ``CORPUS/tables/<name>/`` of Hive-style partitions
``municipality=<code>/<part>.parquet``. Each part file is written under a temporary name and
renamed into place (:func:`gaiji.fsutil.atomic_write`), so a killed run leaves either a whole
part or none; a part that exists is a finished partition and a re-run keeps it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gaiji.errors import ContractError
from gaiji.fsutil import atomic_write

TABLES = "tables"


def table_dir(corpus: str | Path, name: str) -> Path:
    return Path(corpus) / TABLES / name


def part_path(corpus: str | Path, name: str, municipality: str, part: str) -> Path:
    """Where one partition file of table *name* lives."""
    return table_dir(corpus, name) / f"municipality={municipality}" / f"{part}.parquet"


def write_parquet(table: pa.Table, path: str | Path) -> Path:
    """Write *table* to *path* atomically (zstd-compressed)."""
    path = Path(path)
    with atomic_write(path, "wb") as out:
        pq.write_table(table, out, compression="zstd")
    return path


def write_partitioned(corpus: str | Path, name: str, table: pa.Table, *, part: str = "part-0") -> list[Path]:
    """Split *table* by its ``municipality`` column and write one part per municipality.

    Parts of municipalities no longer present are removed, so the table is exactly *table*.
    """
    if "municipality" not in table.column_names:
        raise ValueError(f"table {name} has no municipality column to partition by")
    root = table_dir(corpus, name)
    written: list[Path] = []
    codes = sorted(set(table.column("municipality").to_pylist()))
    for code in codes:
        mask = pc.equal(table.column("municipality"), code)
        written.append(write_parquet(table.filter(mask), part_path(corpus, name, code, part)))
    keep = set(written)
    if root.is_dir():
        for old in root.glob(f"municipality=*/{part}.parquet"):
            if old not in keep:
                old.unlink()
    if not codes:  # an empty table still has a schema on disk
        written.append(write_parquet(table, root / f"{part}.parquet"))
    return written


def read_table(corpus: str | Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """Read every part of table *name* (a clear error when the stage that writes it has not run)."""
    root = table_dir(corpus, name)
    files = sorted(root.rglob("*.parquet")) if root.is_dir() else []
    if not files:
        raise ContractError(
            f"{root}: table {name!r} is missing; run the corpus stage that writes it "
            f"(`gaiji corpus group` / `match` / `propose`) first"
        )
    tables = [pq.read_table(f, columns=columns) for f in files]
    return pa.concat_tables([t.select(columns) if columns else t for t in tables], promote_options="default")


def rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()
