"""Read the audit trail: one line (or JSON object) per event, and the chain's verification."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gaiji.errors import GaijiError
from gaiji.extract.gaijiset import require_gaiji_set
from gaiji.review.chain import ChainReport
from gaiji.review.names import escape_controls
from gaiji.review.state import SPOT_CHECK
from gaiji.review.store import DB_NAME, Event, ReviewStore


class ChainBroken(GaijiError):
    """The audit trail's hash chain does not verify: a record was edited or deleted."""


def open_existing(set_dir: str | Path) -> ReviewStore:
    """The set's review record; an error (not a new empty record) when there is none."""
    path = require_gaiji_set(set_dir) / DB_NAME
    if not path.is_file():
        raise GaijiError(f"{path}: no review record yet; start reviewing with `gaiji review serve {set_dir}`")
    return ReviewStore.open(set_dir)


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "gaiji_id": event.gaiji_id,
        "reviewer": event.reviewer,
        **event.body,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def event_line(event: Event) -> str:
    """One readable, tab-separated line.

    >>> e = Event(3, "2026-11-26T05:00:00.000Z", "g1", "decision", "sato", None,
    ...           {"mj": "MJ025760", "char": "辻", "identification_class": "字形一致", "comment": "ok"},
    ...           "0" * 64, "ab" * 32)
    >>> event_line(e)
    '3\\t2026-11-26T05:00:00.000Z\\tdecision\\tg1\\tsato\\tMJ025760 辻\\t字形一致\\tok\\tabababababab'
    >>> forged = Event(4, "t", "g1", "decision", "sato\\n5\\tt", None, {"comment": "a\\tb"}, "", "cd" * 32)
    >>> "\\n" in event_line(forged), event_line(forged).count("\\t")
    (False, 8)
    """
    body = event.body
    if event.kind == "setting":
        what, cls = f"two_person={body.get('two_person')}", ""
    elif event.kind in ("recheck", "reference_recheck"):  # gaiji.review.recheck
        what = f"{body.get('entry') or body.get('reference_set', '')} {body.get('from_version')} → {body.get('to_version')}"
        cls = "back to review" if event.kind == "recheck" else f"{len(body.get('affected', []))} sent back"
    elif event.kind == "undo":
        what, cls = f"undoes #{body.get('undoes_seq')}", ""
    elif event.kind == SPOT_CHECK:  # shown in a random sample of auto-accepts (gaiji.review.audit)
        what = f"{body.get('auto_mj')} {body.get('auto_char', '')}".strip()
        cls = f"spot-check {body.get('outcome')} (sample {body.get('sample')})"
    else:
        if body.get("ref_set"):  # an added reference set's entry
            what = f"{body.get('ref_set')} {body.get('ref_id')} {body.get('char', '')}".strip()
        else:
            what = f"{body.get('mj')} {body.get('char', '')}".strip() if body.get("mj") else "—"
        cls = body.get("identification_class", "")
    comment = body.get("comment") or ""
    fields = [str(event.seq), event.at, event.kind, event.gaiji_id or "-", event.reviewer, what, cls, comment]
    return "\t".join([*(escape_controls(str(f)) for f in fields), event.hash[:12]])


def iter_log(store: ReviewStore, *, gaiji_id: str | None = None) -> Iterator[Event]:
    return store.events(gaiji_id=gaiji_id)


def verify(
    store: ReviewStore,
    *,
    trusted_keys: Iterable[str] = (),
    expect_head: str | None = None,
    witness: str | Path | None = None,
    allow_unsigned: bool = False,
) -> ChainReport:
    """The chain's verification (hashes, signatures, and heads witnessed outside the set —
    see :meth:`ReviewStore.verify_chain`); raises :class:`ChainBroken` listing what is wrong."""
    report = store.verify_chain(trusted_keys=trusted_keys, expect_head=expect_head, witness=witness,
                                allow_unsigned=allow_unsigned)
    if not report.ok:
        raise ChainBroken(
            f"{store.path}: the audit trail does not verify — "
            + "; ".join(report.problems[:20])
            + (f" (and {len(report.problems) - 20} more)" if len(report.problems) > 20 else "")
            + ". Restore the review record from a backup and compare."
        )
    return report


def chain_head_label(report: ChainReport) -> str:
    """``SEQ:HASH`` — the form a mapping table and the contact sheet carry."""
    return f"{report.head_seq}:{report.head_hash}"
