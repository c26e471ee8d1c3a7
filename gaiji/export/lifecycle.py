"""A mapping table's life after export: compare two versions (``gaiji export diff``) and merge
the tables of several municipalities (``gaiji export merge``).

Rows are matched **by gaiji**: ``(source, code)``, where U+E000, F040 and 0xF040 name the same
gaiji (:func:`gaiji.export.validate.code_key`). Minimal-profile tables (no ids) work the same.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaiji.errors import ContractError
from gaiji.export.columns import COLUMN_NAMES, MappingRow, empty_row
from gaiji.export.readers import ReadRow, read_mapping
from gaiji.export.tables import row_sort_key, sjis_code_of
from gaiji.export.validate import code_key, cross_row_problems, full_char, schema_problems
from gaiji.export.writers import neutralise, write_mapping
from gaiji.fsutil import atomic_write

DIFF_COLUMNS = ("change", "source", "code", "gaiji_id", "column", "old", "new")
TARGET_COLUMNS = ("mj", "ucs", "ivs", "char", "fallback_char", "use_fallback", "identification_class", "status")
"""What a gaiji is mapped to; a difference here is a conflict when merging."""


def _key(values: dict[str, Any]) -> tuple[str, str]:
    return str(values.get("source", "")), code_key(str(values.get("code", "")))


def load_rows(path: str | Path, *, encoding: str = "auto") -> list[ReadRow]:
    """The rows of a mapping table that passes the schema and cross-row checks (else a
    :class:`ContractError` listing why), with ``char`` completed (``char_base_only``)."""
    table = read_mapping(path, encoding=encoding, profile="auto")
    problems = [p for p in table.problems if p.severity == "error"]
    if not problems:
        problems = schema_problems(table.rows) + [p for p in cross_row_problems(table.rows) if p.severity == "error"]
    if problems:
        shown = "; ".join(f"{p.where}: {p.message}" for p in problems[:5])
        raise ContractError(f"{path} is not a valid mapping table: {shown}"
                            + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
                            + f". Run `gaiji validate {path}`")
    for row in table.rows:
        if row.values.get("char_base_only") == "1":
            row.values["char"] = full_char(row.values)
            row.values["char_base_only"] = "0"
    return table.rows


# ---------------------------------------------------------------- diff


@dataclass
class TableDiff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def rows(self) -> list[tuple[str, ...]]:
        """One line per added / removed gaiji and per changed column (:data:`DIFF_COLUMNS`)."""
        out: list[tuple[str, ...]] = []

        def ident(v: dict[str, Any]) -> tuple[str, str, str]:
            return str(v.get("source", "")), str(v.get("code", "")), str(v.get("gaiji_id", ""))

        for v in self.removed:
            out.append(("removed", *ident(v), "", f"{v.get('mj', '')} {full_char(v)}".strip(), ""))
        for v in self.added:
            out.append(("added", *ident(v), "", "", f"{v.get('mj', '')} {full_char(v)}".strip()))
        for old, new, columns in self.changed:
            for c in columns:
                out.append(("changed", *ident(new), c, str(old.get(c, "")), str(new.get(c, ""))))
        return out


def diff_tables(old: str | Path, new: str | Path, *, encoding: str = "auto",
                ignore: tuple[str, ...] = ()) -> TableDiff:
    """Added, removed and changed gaiji between two versions of a mapping table. Columns only
    one of the tables has (a minimal table against a full one) are not compared."""
    old_rows = {_key(r.values): r.values for r in load_rows(old, encoding=encoding)}
    new_rows = {_key(r.values): r.values for r in load_rows(new, encoding=encoding)}
    result = TableDiff()
    for key, v in new_rows.items():
        if key not in old_rows:
            result.added.append(v)
    for key, v in old_rows.items():
        if key not in new_rows:
            result.removed.append(v)
            continue
        n = new_rows[key]
        columns = [c for c in COLUMN_NAMES if c in v and c in n and c not in ignore and c != "char_base_only"
                   and str(v[c]) != str(n[c])]
        if columns:
            result.changed.append((v, n, columns))
    for rows in (result.added, result.removed):
        rows.sort(key=lambda v: (str(v.get("source", "")), code_key(str(v.get("code", "")))))
    result.changed.sort(key=lambda t: (str(t[1].get("source", "")), code_key(str(t[1].get("code", "")))))
    return result


def diff_csv(diff: TableDiff) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(DIFF_COLUMNS)
    w.writerows([neutralise(c) for c in r] for r in diff.rows())
    return buf.getvalue()


# ---------------------------------------------------------------- merge


@dataclass
class MergeResult:
    rows: list[MappingRow]
    conflicts: list[str] = field(default_factory=list)
    duplicates: int = 0
    path: Path | None = None


def merge_tables(inputs: list[str | Path], output: str | Path, *, prefix_sources: bool = False,
                 encoding: str = "auto", fmt: str | None = None) -> MergeResult:
    """Merge several municipalities' tables into *output* (any format).

    A gaiji (source + code) in several tables with the same target is written once; with
    different targets it is a **conflict**: each is listed and nothing is written (the same
    EUDC.TTE code means different characters in different municipalities — pass
    *prefix_sources* to keep them apart as ``<table name>/<source>``)."""
    if len(inputs) < 2:
        raise ContractError("merge needs at least two mapping tables")
    seen: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    result = MergeResult(rows=[])
    for path in inputs:
        name = Path(path).stem
        for row in load_rows(path, encoding=encoding):
            v = dict(row.values)
            if prefix_sources:
                v["source"] = f"{name}/{v.get('source', '')}"
                if v.get("gaiji_id"):
                    v["gaiji_id"] = f"{name}/{v['gaiji_id']}"
            key = _key(v)
            first = seen.get(key)
            if first is None:
                seen[key] = (f"{path} {row.label}", v)
                continue
            where, other = first
            differ = [c for c in TARGET_COLUMNS if str(other.get(c, "")) != str(v.get(c, ""))]
            if differ:
                shown = ", ".join(f"{c} {other.get(c, '')!r} ≠ {v.get(c, '')!r}" for c in differ)
                forms = sorted({str(other.get("code", "")), str(v.get("code", ""))})
                result.conflicts.append(f"{key[0]} {key[1]} (written {' / '.join(forms)}): {where} and {path} "
                                        f"{row.label} differ ({shown})")
            else:
                result.duplicates += 1
    if result.conflicts:
        return result
    for _, v in seen.values():
        merged = empty_row()
        merged.update({k: str(val) for k, val in v.items() if k in merged})
        if not merged["sjis_code"]:
            merged["sjis_code"] = sjis_code_of(merged["code"])
        result.rows.append(merged)
    result.rows.sort(key=row_sort_key)
    ids = [r["gaiji_id"] for r in result.rows]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        result.conflicts.append(f"gaiji_id {', '.join(twice[:10])} used for different gaiji in different tables; "
                                "pass --prefix-sources to keep them apart")
        result.rows = []
        return result
    result.path = write_mapping(result.rows, output, fmt=fmt, meta={"generator": "gaiji export merge"})
    return result


def write_diff(diff: TableDiff, path: str | Path) -> None:
    with atomic_write(path) as fh:
        fh.write(diff_csv(diff))
