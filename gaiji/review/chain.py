"""The audit trail's hash chain: every event row hashes its own canonical JSON together with
the previous row's hash, so editing, deleting or reordering any row breaks every hash after it.

A row's hash is ``sha256(canonical_json(fields))`` where *fields* are the stored columns
(``seq``, ``at``, ``gaiji_id``, ``kind``, ``reviewer``, ``request_id``, ``body``) plus
``prev`` — the hash of the row before (:data:`GENESIS` for the first).

>>> h1 = event_hash({"seq": 1, "kind": "x"}, GENESIS)
>>> h2 = event_hash({"seq": 1, "kind": "y"}, GENESIS)
>>> len(h1), h1 != h2
(64, True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
HASHED_COLUMNS = ("seq", "at", "gaiji_id", "kind", "reviewer", "request_id", "body")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, characters kept as they are (never escaped or normalised).

    >>> canonical_json({"b": 1, "a": "辻"})
    '{"a":"辻","b":1}'
    """
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of the row's hashed columns and the previous hash."""
    material = {name: fields.get(name) for name in HASHED_COLUMNS}
    material["prev"] = prev_hash
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


@dataclass
class ChainReport:
    """Outcome of :func:`verify_rows`: ``ok`` is True only when every row and the head agree."""

    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    key_ids: list[str] = field(default_factory=list)  # keys the events are signed with
    witness: str = ""  # the witness file checked, if any

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    recorded_head: tuple[int, str] | None,
    highest_seq_issued: int | None,
) -> ChainReport:
    """Recompute the chain over *rows* (in ``seq`` order) and compare it with what is stored.

    *recorded_head* is the (seq, hash) the store wrote with the last event and
    *highest_seq_issued* SQLite's AUTOINCREMENT high-water mark; together they reveal rows
    deleted from the end of the chain, which the hashes alone cannot.
    """
    report = ChainReport()
    prev = GENESIS
    expected_seq = 1
    for row in rows:
        seq = int(row["seq"])
        if seq != expected_seq:
            report.problems.append(
                f"event {expected_seq}"
                + (f"–{seq - 1}" if seq - 1 > expected_seq else "")
                + " missing (deleted?)"
                if seq > expected_seq
                else f"event {seq} out of order"
            )
        if row["prev_hash"] != prev:
            report.problems.append(f"event {seq}: previous-hash link broken (a row before it changed or went)")
        actual = event_hash(row, row["prev_hash"])
        if actual != row["hash"]:
            report.problems.append(f"event {seq}: contents do not match its hash (edited)")
        prev = row["hash"]
        expected_seq = seq + 1
        report.count += 1
        report.head_seq, report.head_hash = seq, row["hash"]
    if recorded_head is not None and recorded_head != (report.head_seq, report.head_hash):
        report.problems.append(
            f"chain head recorded as event {recorded_head[0]} but the table ends at event "
            f"{report.head_seq} (events deleted from the end, or the head was altered)"
        )
    if highest_seq_issued is not None and highest_seq_issued > report.head_seq:
        report.problems.append(
            f"events up to {highest_seq_issued} were written but the table ends at {report.head_seq}"
        )
    return report
