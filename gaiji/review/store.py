"""Review decisions: an append-only, hash-chained event log in SQLite beside the gaiji set.

``SET/review.sqlite`` runs in WAL mode with ``synchronous=FULL``: when a ``record_*`` call
returns, the event is on disk (a killed server loses nothing it acknowledged). Writers take
SQLite's write lock with ``BEGIN IMMEDIATE`` and compute the hash chain inside that
transaction, so any number of threads or processes append without overwriting one another.
Rows are never updated or deleted (triggers refuse it); where each gaiji stands is folded from
the events (:mod:`gaiji.review.state`) and :meth:`ReviewStore.verify_chain` recomputes every hash.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> key = pathlib.Path(tempfile.mkdtemp()) / "desk-key.pem"  # outside the set (default: ~/.config/gaiji)
>>> s = ReviewStore.open(d, signing_key=key)
>>> _ = s.record_decision("g1", "sato", {"mj": "MJ025760", "char": "辻"}, "字形一致")
>>> s.state("g1").state, s.final_decisions()
('decided', [])
>>> _ = s.record_decision("g1", "suzuki", {"mj": "MJ025760", "char": "辻"}, "字形一致")
>>> [(f.gaiji_id, f.mj, f.decided_by, f.checked_by) for f in s.final_decisions()]
[('g1', 'MJ025760', 'sato', 'suzuki')]
>>> s.verify_chain().ok, s.verify_chain().key_ids == [DeskKey.load(key).key_id]
(True, True)
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gaiji.errors import GaijiError
from gaiji.review.chain import GENESIS, ChainReport, canonical_json, event_hash, verify_rows
from gaiji.review.names import name_problem
from gaiji.review.signing import DeskKey, local_public_key, split_signature, verify_signature
from gaiji.review.state import (
    AUTO_REVIEWER,
    CLASSES,
    NO_MATCH_CLASS,
    SPOT_CHECK,
    SPOT_CHECK_OUTCOMES,
    STATES,
    ItemState,
)
from gaiji.review.witness import (
    WitnessError,
    append_witness,
    check_witness,
    default_witness_path,
    read_witness,
)

logger = logging.getLogger(__name__)

DB_NAME = "review.sqlite"
SCHEMA_VERSION = "1"
MAX_COMMENT = 4000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    gaiji_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    request_id TEXT UNIQUE,
    body       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_by_gaiji ON events (gaiji_id, seq)",
    "CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, seq)",
    """CREATE TABLE IF NOT EXISTS chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS signing_keys (key_id TEXT PRIMARY KEY, public_key TEXT NOT NULL)",
    """CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END""",
)


class ReviewError(GaijiError):
    """A review action that cannot be recorded as asked (unknown gaiji, bad class, …)."""


@dataclass(frozen=True)
class FinalDecision:
    """A gaiji whose identification is final (see docs/internal-api.md)."""

    gaiji_id: str
    mj: str | None
    char: str
    ucs: str
    ivs: str
    identification_class: str
    decided_by: str
    decided_at: str
    checked_by: str | None
    checked_at: str | None
    comment: str
    reference_version: str
    auto_accepted: bool
    # an added reference set's entry (mj is then None): set name, its identifier, the font
    # that draws it and the set build it was decided against
    ref_set: str = ""
    ref_id: str = ""
    font_name: str = ""
    ref_set_version: str = ""


@dataclass(frozen=True)
class Event:
    """One stored row of the audit trail."""

    seq: int
    at: str
    gaiji_id: str
    kind: str
    reviewer: str
    request_id: str | None
    body: dict[str, Any]
    prev_hash: str
    hash: str
    sig: str | None = None  # ed25519:KEYID:BASE64 over the hash (see gaiji.review.signing)


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds, e.g. ``2026-11-26T04:40:00.123Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_set_ids(set_dir: Path) -> list[str] | None:
    """The gaiji ids listed in ``SET/glyphs.csv`` in file order (None when there is none)."""
    path = set_dir / "glyphs.csv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "gaiji_id" not in reader.fieldnames:
            raise ReviewError(f"{path}: no gaiji_id column; regenerate the set with `gaiji extract`")
        return [row["gaiji_id"] for row in reader if row.get("gaiji_id")]


def _clean_reviewer(reviewer: str) -> str:
    name = (reviewer or "").strip()
    problem = name_problem(name)
    if problem:
        raise ReviewError(f"{problem}: sign in or pass your name")
    return name


def _choice_fields(choice: Mapping[str, Any] | str | None, identification_class: str) -> dict[str, Any]:
    """Validate a choice (MJ record fields, an MJ number, an added set's entry — ``ref_set``,
    ``ref_id``, ``char``, ``ucs``, ``ivs``, ``font_name``, ``ref_set_version`` — or None for
    該当なし) + class."""
    if identification_class not in CLASSES:
        raise ReviewError(
            f"identification class {identification_class!r} is not one of {', '.join(CLASSES)}"
        )
    if isinstance(choice, Mapping) and str(choice.get("ref_set") or "MJ") != "MJ":
        return _set_choice_fields(choice, identification_class)
    if choice is None or (isinstance(choice, Mapping) and not choice.get("mj")):
        if identification_class != NO_MATCH_CLASS:
            raise ReviewError(f"no MJ chosen: the class must be {NO_MATCH_CLASS}")
        return {"mj": None, "char": "", "ucs": "", "ivs": ""}
    if identification_class == NO_MATCH_CLASS:
        raise ReviewError(f"class {NO_MATCH_CLASS} means no MJ; choose a class or drop the MJ")
    fields = {"mj": choice} if isinstance(choice, str) else dict(choice)
    mj = str(fields.get("mj", "")).strip()
    if not (len(mj) == 8 and mj.startswith("MJ") and mj[2:].isdigit()):
        raise ReviewError(f"{mj!r} is not an MJ number like MJ025760")
    return {
        "mj": mj,
        "char": str(fields.get("char") or ""),
        "ucs": str(fields.get("ucs") or ""),
        "ivs": str(fields.get("ivs") or ""),
    }


def _set_choice_fields(choice: Mapping[str, Any], identification_class: str) -> dict[str, Any]:
    import re

    ref_set, ref_id = str(choice.get("ref_set") or "").strip(), str(choice.get("ref_id") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}", ref_set):
        raise ReviewError(f"{ref_set!r} is not a reference set name (see `gaiji reference sets`)")
    if not ref_id:
        raise ReviewError(f"no identifier of the set {ref_set} chosen: say which entry (ref_id)")
    if choice.get("mj"):
        raise ReviewError(f"choose either an MJ number or an entry of {ref_set}, not both")
    if identification_class == NO_MATCH_CLASS:
        raise ReviewError(f"class {NO_MATCH_CLASS} means no character; choose a class or drop {ref_set} {ref_id}")
    return {
        "mj": None,
        "ref_set": ref_set,
        "ref_id": ref_id,
        "char": str(choice.get("char") or ""),
        "ucs": str(choice.get("ucs") or ""),
        "ivs": str(choice.get("ivs") or ""),
        "font_name": str(choice.get("font_name") or ""),
        "ref_set_version": str(choice.get("ref_set_version") or ""),
    }


def _body_target(body: Mapping[str, Any]) -> str | None:
    from gaiji.review.state import choice_target

    return choice_target(body.get("mj"), str(body.get("ref_set") or ""), str(body.get("ref_id") or ""))


def _shown(shown_candidates: Any) -> list[dict[str, Any]]:
    keep = ("rank", "mj", "ref_set", "ref_id", "char", "score", "confidence")
    out = []
    for cand in shown_candidates or []:
        item = {k: cand.get(k) for k in keep if cand.get(k) not in (None, "")}
        for k in ("score", "confidence"):
            if k in item:
                try:
                    item[k] = round(float(item[k]), 6)
                except (TypeError, ValueError):
                    item.pop(k)
        out.append(item)
    return out


class ReviewStore:
    """The review record of one gaiji set. Thread-safe; one instance per process is enough."""

    def __init__(
        self, set_dir: Path, path: Path, set_ids: list[str] | None, *,
        signing_key: DeskKey | Path | None = None, witness: Path | None = None,
    ) -> None:
        self.set_dir = set_dir
        self._signing_key = signing_key
        self.witness = witness
        self.witness_failures = 0
        self.set_id = ""
        self.path = path
        self.set_ids = set_ids
        self._known = set(set_ids) if set_ids is not None else None
        self._local = threading.local()
        self._fold_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._items: dict[str, ItemState] = {}
        self._folded_seq = 0
        self._two_person = True

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls, set_dir: str | Path, *, signing_key: DeskKey | str | Path | None = None,
        witness: str | Path | None = None,
    ) -> ReviewStore:
        """Open (creating on first use) ``SET/review.sqlite``.

        Events written through this store are signed with *signing_key* (a :class:`DeskKey`
        or its file; default: this installation's key, created on the first write — see
        :mod:`gaiji.review.signing`) and, when *witness* names a file (default
        ``$GAIJI_REVIEW_WITNESS``), their heads are appended to it."""
        set_dir = Path(set_dir)
        if not set_dir.is_dir():
            raise ReviewError(f"{set_dir}: no such gaiji set folder; run `gaiji extract` first")
        key = signing_key if isinstance(signing_key, DeskKey) or signing_key is None else Path(signing_key)
        store = cls(set_dir, set_dir / DB_NAME, read_set_ids(set_dir), signing_key=key,
                    witness=Path(witness) if witness else default_witness_path())
        conn = store._conn()
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            raise ReviewError(f"{store.path}: cannot open the review database ({exc})") from exc
        if str(mode).lower() != "wal":
            raise ReviewError(f"{store.path}: SQLite refused WAL mode (got {mode}); use a local disk")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('set_id', ?)", (uuid.uuid4().hex,))
            if "sig" not in {r[1] for r in conn.execute("PRAGMA table_info(events)")}:
                conn.execute("ALTER TABLE events ADD COLUMN sig TEXT")  # records from before signing
            store.set_id = conn.execute("SELECT value FROM meta WHERE key = 'set_id'").fetchone()[0]
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return store

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            except sqlite3.OperationalError as exc:
                raise ReviewError(f"{self.path}: cannot open the review database ({exc})") from exc
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing -------------------------------------------------------------------------
    def _desk_key(self) -> DeskKey:
        if not isinstance(self._signing_key, DeskKey):
            self._signing_key = DeskKey.load_or_create(self._signing_key)
        return self._signing_key

    def _append(
        self, gaiji_id: str, kind: str, reviewer: str, body: dict[str, Any], request_id: str | None,
        *, rule: Callable[[ItemState], dict[str, Any] | None] | None = None,
    ) -> Event:
        """Append one event. *rule* sees where the gaiji stands *inside* the write
        transaction — no other writer can change it before the commit — and raises
        :class:`ReviewError` to refuse, or returns additions to the body."""
        conn = self._conn()
        # threads of this process queue here rather than in SQLite's busy handler, which waits
        # by sleeping with growing steps (tens of ms) and made the slowest decisions slow
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if request_id is not None:
                    row = conn.execute(
                        f"SELECT {_COLUMNS} FROM events WHERE request_id = ?",
                        (request_id,),
                    ).fetchone()
                    if row is not None:
                        conn.execute("ROLLBACK")
                        return self._event(row)
                if rule is not None:
                    body = {**body, **(rule(self.state(gaiji_id)) or {})}
                if kind == "decision":  # read inside the write lock: no setting can slip in between
                    setting = conn.execute(
                        "SELECT body FROM events WHERE kind = 'setting' ORDER BY seq DESC LIMIT 1").fetchone()
                    body = {**body, "two_person": bool(json.loads(setting[0]).get("two_person", True)) if setting else True}
                head = conn.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
                prev_seq, prev_hash = head if head else (0, GENESIS)
                issued = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
                seq = max(prev_seq, issued[0] if issued else 0) + 1
                at = utc_now()
                fields = {
                    "seq": seq,
                    "at": at,
                    "gaiji_id": gaiji_id,
                    "kind": kind,
                    "reviewer": reviewer,
                    "request_id": request_id,
                    "body": canonical_json(body),
                }
                digest = event_hash(fields, prev_hash)
                key = self._desk_key()
                sig = key.sign(digest)
                conn.execute("INSERT OR IGNORE INTO signing_keys VALUES (?, ?)", (key.key_id, key.public_hex))
                conn.execute(
                    "INSERT INTO events (seq, at, gaiji_id, kind, reviewer, request_id, body, prev_hash, hash, sig)"
                    " VALUES (:seq, :at, :gaiji_id, :kind, :reviewer, :request_id, :body, :prev, :hash, :sig)",
                    {**fields, "prev": prev_hash, "hash": digest, "sig": sig},
                )
                conn.execute(
                    "INSERT INTO chain_head (id, seq, hash) VALUES (1, ?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                    (seq, digest),
                )
                conn.execute("COMMIT")  # synchronous=FULL: durable when this returns
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        if self.witness is not None:
            try:
                append_witness(self.witness, self.set_id, self.set_dir, seq, digest, at)
            except WitnessError as exc:
                # the decision is on disk and must not look lost; the missing line is reported loudly
                self.witness_failures += 1
                logger.error("event %d recorded but not witnessed: %s", seq, exc)
        return Event(seq, at, gaiji_id, kind, reviewer, request_id, body, prev_hash, digest, sig)

    def _check_gaiji(self, gaiji_id: str) -> str:
        gid = (gaiji_id or "").strip()
        if not gid:
            raise ReviewError("a gaiji_id is required")
        if self._known is not None and gid not in self._known:
            raise ReviewError(f"gaiji {gid!r} is not in {self.set_dir / 'glyphs.csv'}")
        return gid

    def record_decision(
        self,
        gaiji_id: str,
        reviewer: str,
        choice: Mapping[str, Any] | str | None,
        identification_class: str,
        comment: str = "",
        shown_candidates: Any = (),
        reference_version: str = "",
        *,
        request_id: str | None = None,
    ) -> Event:
        """Append one reviewer's decision. *choice* is the chosen MJ record's fields
        (``mj``, ``char``, ``ucs``, ``ivs``) or None for 該当なし. A repeated *request_id*
        returns the event already stored instead of adding a duplicate."""
        gid = self._check_gaiji(gaiji_id)
        name = _clean_reviewer(reviewer)
        body = _choice_fields(choice, identification_class)
        body.update(
            identification_class=identification_class,
            comment=(comment or "")[:MAX_COMMENT],
            shown_candidates=_shown(shown_candidates),
            reference_version=reference_version or "",
        )  # _append adds ``two_person``: the rule in force at that moment applies to it, for good

        def rule(item: ItemState) -> None:
            if item.state == "disputed" and name not in item.proposals:
                sides = " and ".join(p.reviewer for p in item.ordered())
                raise ReviewError(
                    f"gaiji {gid} is disputed between {sides}: settle it by choosing one of their views "
                    "or stating a third, with a reason"
                )

        return self._append(gid, "decision", name, body, request_id, rule=rule)

    def record_auto_accept(
        self, gaiji_id: str, candidate_row: Mapping[str, Any], *, reference_version: str
    ) -> Event | None:
        """Record the matcher's automatic acceptance of a rank-1 candidate (idempotent:
        returns None when this gaiji already carries the same auto-accept)."""
        gid = self._check_gaiji(gaiji_id)
        cls = str(candidate_row.get("identification_class") or "字形一致")
        body = _choice_fields(candidate_row, cls)
        if body.get("ref_set"):
            raise ReviewError(f"{gid}: an added set's entry is never auto-accepted (the calibration is MJ's); "
                              "a reviewer decides it")
        current = self.state(gid).proposals.get(AUTO_REVIEWER)
        if current is not None and current.mj == body["mj"]:
            return None
        body.update(
            identification_class=cls,
            comment="",
            shown_candidates=_shown([candidate_row]),
            reference_version=reference_version or "",
        )
        return self._append(gid, "auto_accept", AUTO_REVIEWER, body, f"auto:{gid}:{body['mj']}")

    def record_spot_check(
        self, gaiji_id: str, reviewer: str, *, sample: str, outcome: str, request_id: str | None = None
    ) -> Event:
        """Record that an auto-accepted gaiji was drawn into a random spot-check sample for
        *reviewer* (``sample``: the sample's id; ``outcome``: ``drawn``, before it is shown), and
        how the sample was closed: confirmed at sight or left out to look at on its own
        (``confirmed`` | ``left_out``). It changes no view: it makes the sample known, so that
        :mod:`gaiji.review.audit` can measure how often auto-accepts are right from random ones."""
        if outcome not in SPOT_CHECK_OUTCOMES:
            raise ReviewError(f"spot-check outcome {outcome!r}: one of {', '.join(SPOT_CHECK_OUTCOMES)}")
        gid = self._check_gaiji(gaiji_id)

        def rule(item: ItemState) -> dict[str, Any]:  # inside the write: nobody decides it meanwhile
            auto = item.proposals.get(AUTO_REVIEWER)
            if item.state != "auto-accepted" or auto is None:
                raise ReviewError(f"gaiji {gid} is {item.state}, not auto-accepted: only auto-accepts are spot-checked")
            return {"auto_mj": auto.mj, "auto_char": auto.char}

        body = {"sample": str(sample)[:60], "outcome": outcome}
        return self._append(gid, SPOT_CHECK, _clean_reviewer(reviewer), body, request_id, rule=rule)

    def settle(
        self,
        gaiji_id: str,
        reviewer: str,
        choice: Mapping[str, Any] | str | None,
        identification_class: str,
        comment: str = "",
        reference_version: str = "",
        *,
        basis: str,
        request_id: str | None = None,
    ) -> Event:
        """Settle a disagreement: the settler's choice becomes final. Under the two-person
        rule the settler must be a third person, not one side of the dispute.

        *basis* makes the choice explicit: the name of the reviewer whose view is adopted
        (the choice must then be exactly that view), or ``"third"`` for a view neither side
        held — which needs a *comment* saying why."""
        gid = self._check_gaiji(gaiji_id)
        name = _clean_reviewer(reviewer)
        body = _choice_fields(choice, identification_class)
        view = (_body_target(body), identification_class)

        def rule(item: ItemState) -> dict[str, Any]:
            two_person = self._two_person  # folded up to the present by state() just now
            if item.state != "disputed":
                raise ReviewError(f"gaiji {gid} is {item.state}, not disputed: record a decision instead")
            if two_person and name in item.proposals:
                raise ReviewError(
                    f"{name} is one side of the disagreement on {gid}: change your own decision to "
                    "agree with the other, or ask a third reviewer to settle it"
                )
            if basis == "third":
                if any(p.view == view for p in item.proposals.values()):
                    raise ReviewError(f"that choice is one of the disputed views on {gid}: settle with "
                                      "that reviewer's view instead of a third")
                if not (comment or "").strip():
                    raise ReviewError(f"settling {gid} with a third view needs a comment saying why")
            else:
                side = item.proposals.get(basis)
                if side is None:
                    raise ReviewError(f"{basis!r} holds no view on {gid}: settle with one of "
                                      f"{', '.join(p.reviewer for p in item.ordered())}, or 'third'")
                if side.view != view:
                    raise ReviewError(f"the choice differs from {basis}'s view on {gid} "
                                      f"({side.target or '該当なし'} {side.identification_class})")
            return {"disputed_views": [p.as_dict() for p in item.ordered()]}

        body.update(
            identification_class=identification_class,
            comment=(comment or "")[:MAX_COMMENT],
            settle_basis=basis,
            reference_version=reference_version or "",
        )
        return self._append(gid, "settle", name, body, request_id, rule=rule)

    def append_review_event(self, gaiji_id: str, kind: str, reviewer: str, body: dict[str, Any]) -> Event:
        """Append a ``recheck`` (one gaiji back to review) or ``reference_recheck`` (the set
        rechecked across reference versions, ``gaiji_id`` empty) event; see
        :mod:`gaiji.review.recheck`."""
        if kind not in ("recheck", "reference_recheck"):
            raise ReviewError(f"{kind!r} events are recorded through their own method")
        gid = self._check_gaiji(gaiji_id) if kind == "recheck" else ""
        return self._append(gid, kind, _clean_reviewer(reviewer), body, None)

    def undo(self, gaiji_id: str, reviewer: str, *, request_id: str | None = None) -> Event:
        """Withdraw *reviewer*'s latest decision on a gaiji while nobody has confirmed it.
        Recorded as an ``undo`` event; the view they held before (if any) is theirs again."""
        gid = self._check_gaiji(gaiji_id)
        name = _clean_reviewer(reviewer)

        def rule(item: ItemState) -> dict[str, Any]:
            refusal = item.undo_refusal(name)
            if refusal:
                raise ReviewError(f"cannot undo: {refusal}")
            mine = item.proposals[name]
            return {"undoes_seq": mine.seq, "undone": mine.as_dict()}

        return self._append(gid, "undo", name, {}, request_id, rule=rule)

    def set_two_person(self, enabled: bool, reviewer: str, *, role: str = "administrator") -> Event:
        """Switch the two-person rule for this set (recorded in the audit trail). It applies
        to decisions recorded from now on; earlier decisions keep the rule they were made under.
        Only an administrator may call this (the desk and the CLI check the role)."""
        body = {"two_person": bool(enabled), "role": role}
        return self._append("", "setting", _clean_reviewer(reviewer), body, None)

    # -- reading -------------------------------------------------------------------------
    @staticmethod
    def _event(row: tuple[Any, ...]) -> Event:
        seq, at, gid, kind, reviewer, request_id, body, prev_hash, digest, sig = row
        return Event(seq, at, gid, kind, reviewer, request_id, json.loads(body), prev_hash, digest, sig)

    def events(self, *, gaiji_id: str | None = None, after: int = 0) -> Iterator[Event]:
        """Stored events in chain order (optionally of one gaiji, or after a sequence number)."""
        cols = _COLUMNS
        conn = self._conn()
        if gaiji_id is None:
            cur = conn.execute(f"SELECT {cols} FROM events WHERE seq > ? ORDER BY seq", (after,))
        else:
            cur = conn.execute(
                f"SELECT {cols} FROM events WHERE gaiji_id = ? AND seq > ? ORDER BY seq", (gaiji_id, after)
            )
        for row in cur:
            yield self._event(row)

    def events_of_kind(self, kind: str) -> Iterator[Event]:
        """Stored events of one kind (``spot_check``, ``setting`` …) in chain order."""
        cur = self._conn().execute(f"SELECT {_COLUMNS} FROM events WHERE kind = ? ORDER BY seq", (kind,))
        for row in cur:
            yield self._event(row)

    def _refresh(self) -> None:
        """Fold events written since the last call (by any thread or process) into the cache."""
        with self._fold_lock:
            for ev in self.events(after=self._folded_seq):
                if ev.kind == "setting":
                    self._two_person = bool(ev.body.get("two_person", True))
                elif ev.kind == "reference_recheck":
                    pass  # a set-level record (gaiji.review.recheck), no gaiji's state
                else:
                    item = self._items.setdefault(ev.gaiji_id, ItemState(ev.gaiji_id))
                    item.apply(ev.seq, ev.at, ev.kind, ev.reviewer, ev.body, two_person=self._two_person)
                self._folded_seq = ev.seq

    @property
    def two_person(self) -> bool:
        """True when a decision needs a second, different reviewer to become final."""
        self._refresh()
        return self._two_person

    def state(self, gaiji_id: str) -> ItemState:
        """Where one gaiji stands (a copy; ``pending`` when nothing was recorded)."""
        self._refresh()
        with self._fold_lock:
            item = self._items.get(gaiji_id)
            if item is None:
                return ItemState(gaiji_id)
            return item.copy()

    def states(self) -> dict[str, ItemState]:
        """Every gaiji of the set (set order first, then any only the record knows)."""
        self._refresh()
        with self._fold_lock:
            ids = list(self.set_ids or [])
            ids += [g for g in self._items if self._known is None or g not in self._known]
            return {
                g: (it.copy() if (it := self._items.get(g)) else ItemState(g))
                for g in ids
            }

    def counts(self) -> dict[str, int]:
        """How many gaiji are in each state (keys as in :data:`STATES`)."""
        out = dict.fromkeys(STATES, 0)
        for item in self.states().values():
            out[item.state] += 1
        return out

    def final_decisions(self) -> list[FinalDecision]:
        """Gaiji whose identification is final, in set order."""
        out = []
        for item in self.states().values():
            if not item.is_final():
                continue
            first = item.agreed()
            assert first is not None
            checker = item.checker()
            comments = [p.comment for p in item.ordered() if p.comment]
            out.append(
                FinalDecision(
                    gaiji_id=item.gaiji_id,
                    mj=first.mj,
                    char=first.char,
                    ucs=first.ucs,
                    ivs=first.ivs,
                    identification_class=first.identification_class,
                    decided_by=first.reviewer,
                    decided_at=first.since_at,
                    checked_by=checker.reviewer if checker else None,
                    checked_at=checker.since_at if checker else None,
                    comment=" / ".join(comments),
                    reference_version=first.reference_version
                    or (checker.reference_version if checker else ""),
                    auto_accepted=first.reviewer == AUTO_REVIEWER,
                    ref_set=first.ref_set,
                    ref_id=first.ref_id,
                    font_name=first.font_name,
                    ref_set_version=first.ref_set_version,
                )
            )
        return out

    def open_items(self) -> list[dict[str, Any]]:
        """Gaiji not yet final: pending, decided-awaiting-check and disputed."""
        return [item.summary() for item in self.states().values() if not item.is_final()]

    def verify_chain(
        self,
        *,
        trusted_keys: Iterable[str] = (),
        expect_head: str | None = None,
        witness: str | Path | None = None,
        allow_unsigned: bool = False,
    ) -> ChainReport:
        """Recompute every hash and check every signature; report edited, deleted, reordered,
        unsigned or foreign-signed events. Signatures count only from a trusted key: this
        machine's desk key and *trusted_keys* (public hex). *expect_head* (a hash, a prefix
        of ≥ 12 hex digits, or ``SEQ:HASH`` as exported) and the *witness* file (default
        ``$GAIJI_REVIEW_WITNESS``) are heads seen outside the set: the record must contain
        them, which catches a rolled-back or cut-off record. *allow_unsigned* accepts
        unsigned events (records written before the desk signed events)."""
        conn = self._conn()
        conn.execute("BEGIN")  # one consistent snapshot of events + head
        try:
            cur = conn.execute(f"SELECT {_COLUMNS} FROM events ORDER BY seq")
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur]
            head = conn.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
            issued = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
            keys = dict(conn.execute("SELECT key_id, public_key FROM signing_keys"))
        finally:
            conn.execute("COMMIT")
        report = verify_rows(
            rows,
            recorded_head=(head[0], head[1]) if head else (0, GENESIS),
            highest_seq_issued=issued[0] if issued else None,
        )
        trusted = {k.lower() for k in trusted_keys}
        local = local_public_key(self._signing_key.path if isinstance(self._signing_key, DeskKey)
                                 else self._signing_key)
        if local:
            trusted.add(local)
        report.problems += signature_problems(rows, keys, trusted, allow_unsigned=allow_unsigned)
        report.key_ids = sorted({p[0] for r in rows if (p := split_signature(r.get("sig")))})
        if not trusted and rows:
            report.warnings.append(
                "no trusted key here (this machine has no desk key and none was given with "
                "--trust-key): signatures were checked only against keys stored in the set itself")
        if expect_head:
            report.problems += expected_head_problems(rows, expect_head)
        witness_path = Path(witness) if witness else default_witness_path()
        if witness_path is not None and (witness or witness_path.is_file()):
            found = check_witness(read_witness(witness_path), self.set_id, self.set_dir,
                                  {int(r["seq"]): r["hash"] for r in rows})
            if not witness and found and "has no entry for this set" in found[0]:
                # the witness from $GAIJI_REVIEW_WITNESS never saw this set (reviewed before it was
                # set up, or elsewhere): say so; a file named explicitly must know the set
                report.warnings += found
            else:
                report.problems += found
            report.witness = str(witness_path)
        return report


_COLUMNS = "seq, at, gaiji_id, kind, reviewer, request_id, body, prev_hash, hash, sig"


def signature_problems(
    rows: list[dict[str, Any]], keys: dict[str, str], trusted: set[str], *, allow_unsigned: bool
) -> list[str]:
    """Events whose signature is missing, wrong, or made with a key nobody trusts here."""
    unsigned, bad, foreign = [], [], set()
    for row in rows:
        parts = split_signature(row.get("sig"))
        if parts is None:
            if not allow_unsigned:
                unsigned.append(int(row["seq"]))
            continue
        public = keys.get(parts[0])
        if public is None or not verify_signature(public, row["hash"], row["sig"]):
            bad.append(int(row["seq"]))
        elif trusted and public not in trusted:
            foreign.add(parts[0])
    problems = []
    if unsigned:
        problems.append(f"{len(unsigned)} event(s) carry no signature (first: event {unsigned[0]}): added "
                        "outside the desk — or, for a record from before signing, pass --allow-unsigned")
    if bad:
        problems.append(f"{len(bad)} event(s) do not match their signature (first: event {bad[0]}): "
                        "edited and re-hashed without the desk's key")
    for key_id in sorted(foreign):
        problems.append(f"events are signed with key {key_id}, which is not this desk's key: trust it "
                        "explicitly with --trust-key if it is another desk's")
    return problems


def expected_head_problems(rows: list[dict[str, Any]], expect_head: str) -> list[str]:
    """The head seen on paper or in a mapping table must be one of the record's events."""
    text = expect_head.strip().lower()
    seq_text, _, digest = text.rpartition(":")
    if len(digest) < 12 or any(c not in "0123456789abcdef" for c in digest) or (seq_text and not seq_text.isdigit()):
        raise ReviewError(f"--expect-head {expect_head!r}: give the head hash (at least 12 hex digits), "
                          "or SEQ:HASH as in a mapping table's review_chain_head")
    found = [r for r in rows if r["hash"].startswith(digest) and (not seq_text or int(r["seq"]) == int(seq_text))]
    if not found:
        return [(f"the expected head {expect_head.strip()} is not in this record: it was rolled back to an "
                 "older copy, cut short, or rewritten")]
    return []
