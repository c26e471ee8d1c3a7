"""``gaiji corpus status``: what is registered and how far each stage has come."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gaiji.corpus.registry import read_registry
from gaiji.corpus.tables import table_dir


def corpus_status(corpus: str | Path) -> dict[str, Any]:
    """Sets per municipality and vendor; which stages have written their tables."""
    import pyarrow.parquet as pq

    root = Path(corpus)
    entries = read_registry(root)
    municipalities = {e.code: e.municipality for e in entries}
    vendors = sorted({e.vendor for e in entries if e.vendor})

    def rows(name: str) -> int | None:
        d = table_dir(root, name)
        files = list(d.rglob("*.parquet")) if d.is_dir() else []
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files) if files else None

    cand = root / "candidates"
    return {
        "corpus": str(root),
        "sets": len(entries),
        "municipalities": len(municipalities),
        "vendors": vendors,
        "gaiji_prepared": rows("gaiji"),
        "groups": rows("groups"),
        "memberships": rows("memberships"),
        # cross-design families (written by `gaiji corpus match`): one review item each
        "families": rows("families"),
        "groups_in_families": rows("family_groups"),
        "candidate_files": len(list(cand.glob("*.csv"))) if cand.is_dir() else 0,
        "proposals": rows("proposals"),
        "conflict_members": rows("conflicts"),
        "registered": [{"name": e.name, "municipality": e.municipality, "code": e.code, "vendor": e.vendor,
                        "path": str(e.set_dir(root))} for e in entries],
    }
