"""The four forgeries a skilled person with file access can make, each caught — by
`gaiji review log --verify` and by `gaiji export` — and the witnesses outside the set.

Each forgery uses the project's own hash function, so the hash chain alone would accept it:
1. delete the last event and set the head back;
2. rewrite a choice and recompute every hash after it;
3. append a made-up confirmation under another reviewer's name;
4. put back an older copy of review.sqlite.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.review.chain import canonical_json, event_hash
from gaiji.review.signing import DeskKey
from gaiji.review.store import ReviewStore

TSUJI_1 = {"mj": "MJ025760", "char": "辻", "ucs": "U+8FBB", "ivs": ""}
TSUJI_2 = {"mj": "MJ025761", "char": "辻󠄀", "ucs": "U+8FBB", "ivs": "U+E0100"}


@pytest.fixture()
def witness(tmp_path: Path) -> Path:
    return tmp_path / "witness" / "city.witness"


@pytest.fixture()
def reviewed(gaiji_set: Path, witness: Path) -> ReviewStore:
    """E001 and E003 decided and checked, E004 decided once — with a witness file."""
    witness.parent.mkdir()
    store = ReviewStore.open(gaiji_set, witness=witness)
    store.record_decision("E001", "sato", TSUJI_1, "字形一致")
    store.record_decision("E001", "suzuki", TSUJI_1, "字形一致")
    store.record_decision("E003", "sato", {"mj": "MJ028902", "char": "髙"}, "字形一致")
    store.record_decision("E003", "suzuki", {"mj": "MJ028902", "char": "髙"}, "字形一致")
    store.record_decision("E004", "sato", {"mj": "MJ013049", "char": "斎"}, "字形一致")
    return store


def tamper(store: ReviewStore) -> sqlite3.Connection:
    """A plain connection with the append-only triggers dropped, as a forger would have."""
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS events_append_only_update")
    conn.execute("DROP TRIGGER IF EXISTS events_append_only_delete")
    return conn


def rehash_from(conn: sqlite3.Connection, first_seq: int) -> None:
    """Recompute every hash from *first_seq* on with the project's own function; fix the head."""
    rows = conn.execute("SELECT seq, at, gaiji_id, kind, reviewer, request_id, body, prev_hash, hash "
                        "FROM events ORDER BY seq").fetchall()
    prev = None
    for seq, at, gid, kind, reviewer, request_id, body, prev_hash, digest in rows:
        if seq >= first_seq:
            prev_hash = prev if prev is not None else prev_hash
            fields = {"seq": seq, "at": at, "gaiji_id": gid, "kind": kind, "reviewer": reviewer,
                      "request_id": request_id, "body": body}
            digest = event_hash(fields, prev_hash)
            conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev_hash, digest, seq))
        prev = digest
    last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    conn.execute("UPDATE chain_head SET seq = ?, hash = ?", last)
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'", (last[0],))


def verify_cli(set_dir: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["review", "log", str(set_dir), "--verify", *extra])
    return result.exit_code, result.output


def export_cli(set_dir: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["export", str(set_dir), "-o", str(out), "-q", *extra])
    return result.exit_code, result.output


def test_an_untouched_record_verifies_everywhere(reviewed: ReviewStore, witness: Path, tmp_path: Path) -> None:
    report = reviewed.verify_chain(witness=witness)
    assert report.ok and report.count == 5 and report.key_ids == [DeskKey.load_or_create().key_id]
    assert len(witness.read_text().splitlines()) == 5
    assert verify_cli(reviewed.set_dir, "--witness", str(witness), "--expect-head", report.head_hash[:16])[0] == 0


# -- 1. delete the last event and fix the head ----------------------------------------------


@pytest.mark.reference
def test_deleting_the_last_event_is_caught_by_the_witnesses(reviewed: ReviewStore, witness: Path,
                                                             tmp_path: Path) -> None:
    code, _ = export_cli(reviewed.set_dir, tmp_path / "before.csv")
    assert code == 0
    with (tmp_path / "before.csv").open(encoding="utf-8", newline="") as fh:  # by name: columns are added at the end
        table_head = next(csv.DictReader(fh))["review_chain_head"]
    assert table_head == f"5:{reviewed.verify_chain().head_hash}"
    conn = tamper(reviewed)
    conn.execute("DELETE FROM events WHERE seq = 5")
    rehash_from(conn, 99)  # only the head and the sequence need setting back
    conn.close()
    fresh = ReviewStore.open(reviewed.set_dir)
    assert fresh.verify_chain().ok  # inside the set nothing shows it: hence the witnesses outside
    code, out = verify_cli(reviewed.set_dir, "--witness", str(witness))
    assert code == 1 and "event 5 was witnessed" in out and "missing" in out
    code, out = verify_cli(reviewed.set_dir, "--expect-head", table_head)  # the head from the table
    assert code == 1 and "is not in this record" in out
    code, out = export_cli(reviewed.set_dir, tmp_path / "after.csv", "--witness", str(witness))
    assert code == 1 and "event 5 was witnessed" in out and not (tmp_path / "after.csv").exists()


# -- 2. rewrite a choice and recompute every hash ------------------------------------------


@pytest.mark.reference
def test_a_rewritten_choice_with_recomputed_hashes_is_caught(reviewed: ReviewStore, tmp_path: Path) -> None:
    conn = tamper(reviewed)
    body = json.loads(conn.execute("SELECT body FROM events WHERE seq = 1").fetchone()[0])
    body.update(TSUJI_2, identification_class="デザイン差")
    conn.execute("UPDATE events SET body = ? WHERE seq = 1", (canonical_json(body),))
    rehash_from(conn, 1)
    conn.close()
    code, out = verify_cli(reviewed.set_dir)
    assert code == 1 and "do not match their signature (first: event 1)" in out
    code, out = export_cli(reviewed.set_dir, tmp_path / "m.csv")
    assert code == 1 and "signature" in out and not (tmp_path / "m.csv").exists()


@pytest.mark.reference
def test_re_signing_with_ones_own_key_is_caught(reviewed: ReviewStore, tmp_path: Path) -> None:
    forger = DeskKey.load_or_create(tmp_path / "forger.pem")
    conn = tamper(reviewed)
    body = json.loads(conn.execute("SELECT body FROM events WHERE seq = 1").fetchone()[0])
    body.update(TSUJI_2)
    conn.execute("UPDATE events SET body = ? WHERE seq = 1", (canonical_json(body),))
    rehash_from(conn, 1)
    conn.execute("DELETE FROM signing_keys")
    conn.execute("INSERT INTO signing_keys VALUES (?, ?)", (forger.key_id, forger.public_hex))
    for seq, digest in conn.execute("SELECT seq, hash FROM events").fetchall():
        conn.execute("UPDATE events SET sig = ? WHERE seq = ?", (forger.sign(digest), seq))
    conn.close()
    code, out = verify_cli(reviewed.set_dir)
    assert code == 1 and f"signed with key {forger.key_id}, which is not this desk's key" in out
    assert export_cli(reviewed.set_dir, tmp_path / "m.json")[0] == 1
    # a verifier who was told the forger's key is trusted would accept it: trust is explicit
    assert verify_cli(reviewed.set_dir, "--trust-key", f"{forger.key_id}:{forger.public_hex}")[0] == 0


# -- 3. append a made-up confirmation under another name -----------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("signed_by_forger", [False, True])
def test_a_made_up_confirmation_is_caught(reviewed: ReviewStore, tmp_path: Path, signed_by_forger: bool) -> None:
    conn = tamper(reviewed)
    prev = conn.execute("SELECT hash FROM chain_head").fetchone()[0]
    body = canonical_json({"mj": "MJ013049", "char": "斎", "ucs": "", "ivs": "",
                           "identification_class": "字形一致", "comment": "", "shown_candidates": [],
                           "reference_version": "", "two_person": True})
    fields = {"seq": 6, "at": "2026-11-30T17:00:00.000Z", "gaiji_id": "E004", "kind": "decision",
              "reviewer": "suzuki", "request_id": None, "body": body}
    digest = event_hash(fields, prev)
    sig = None
    if signed_by_forger:
        forger = DeskKey.load_or_create(tmp_path / "forger.pem")
        conn.execute("INSERT INTO signing_keys VALUES (?, ?)", (forger.key_id, forger.public_hex))
        sig = forger.sign(digest)
    conn.execute("INSERT INTO events VALUES (:seq, :at, :gaiji_id, :kind, :reviewer, :request_id, :body, "
                 ":prev, :hash, :sig)", {**fields, "prev": prev, "hash": digest, "sig": sig})
    conn.execute("UPDATE chain_head SET seq = 6, hash = ?", (digest,))
    conn.close()
    assert "E004" in {f.gaiji_id for f in ReviewStore.open(reviewed.set_dir).final_decisions()}  # it would count
    code, out = verify_cli(reviewed.set_dir)
    assert code == 1
    assert ("not this desk's key" in out) if signed_by_forger else ("carry no signature (first: event 6)" in out)
    code, out = export_cli(reviewed.set_dir, tmp_path / "m.xml")
    assert code == 1 and not (tmp_path / "m.xml").exists()


# -- 4. put back an older review.sqlite ----------------------------------------------------


@pytest.mark.reference
def test_an_older_copy_put_back_is_caught_by_expect_head_and_the_witness(
    reviewed: ReviewStore, witness: Path, tmp_path: Path
) -> None:
    reviewed.close()
    backup = tmp_path / "old"
    backup.mkdir()
    for name in ("review.sqlite", "review.sqlite-wal", "review.sqlite-shm"):
        if (reviewed.set_dir / name).exists():
            shutil.copy2(reviewed.set_dir / name, backup / name)
    store = ReviewStore.open(reviewed.set_dir, witness=witness)
    store.record_decision("E004", "suzuki", {"mj": "MJ013049", "char": "斎"}, "字形一致")
    paper_head = store.verify_chain().head_hash  # as printed on the contact sheet
    store.close()
    for name in ("review.sqlite", "review.sqlite-wal", "review.sqlite-shm"):
        (reviewed.set_dir / name).unlink(missing_ok=True)
        if (backup / name).exists():
            shutil.copy2(backup / name, reviewed.set_dir / name)
    assert verify_cli(reviewed.set_dir)[0] == 0  # the old copy is a genuine record — of the past
    code, out = verify_cli(reviewed.set_dir, "--expect-head", paper_head[:20])
    assert code == 1 and "rolled back" in out
    code, out = verify_cli(reviewed.set_dir, "--witness", str(witness))
    assert code == 1 and "event 6 was witnessed" in out
    code, out = export_cli(reviewed.set_dir, tmp_path / "m.csv", "--expect-head", paper_head)
    assert code == 1 and not (tmp_path / "m.csv").exists()


def test_a_replaced_record_does_not_pass_as_another_set(reviewed: ReviewStore, witness: Path) -> None:
    conn = tamper(reviewed)
    conn.execute("UPDATE meta SET value = 'forged' WHERE key = 'set_id'")
    conn.close()
    code, out = verify_cli(reviewed.set_dir, "--witness", str(witness))
    assert code == 1 and "record was replaced" in out


def test_expect_head_needs_a_real_hash(reviewed: ReviewStore) -> None:
    code, out = verify_cli(reviewed.set_dir, "--expect-head", "abc")
    assert code == 1 and "at least 12 hex digits" in out


def test_a_witness_file_that_cannot_be_written_does_not_lose_the_decision(gaiji_set: Path, tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    store = ReviewStore.open(gaiji_set, witness=tmp_path / "no-such-folder" / "w.log")
    event = store.record_decision("E001", "sato", TSUJI_1, "字形一致")
    assert [e.hash for e in ReviewStore.open(gaiji_set).events()] == [event.hash]
    assert store.witness_failures == 1 and "not witnessed" in caplog.text


def test_the_default_witness_only_warns_about_a_set_it_never_saw(reviewed: ReviewStore, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.witness"
    other.write_text(f"2026-11-30T00:00:00.000Z\tsomeset\t1\t{'ab' * 32}\t/elsewhere\n", encoding="utf-8")
    monkeypatch.setenv("GAIJI_REVIEW_WITNESS", str(other))
    report = ReviewStore.open(reviewed.set_dir).verify_chain()
    assert report.ok and "no entry for this set" in report.warnings[0]
    code, out = verify_cli(reviewed.set_dir, "--witness", str(other))  # named explicitly: a problem
    assert code == 1 and "no entry for this set" in out


# -- reference rechecks (gaiji.review.recheck) are events like any other ----------------------


def test_recheck_events_are_signed_witnessed_and_fold(reviewed: ReviewStore, witness: Path) -> None:
    assert reviewed.state("E001").state == "checked"
    reviewed.append_review_event("E001", "recheck", "admin", {"entry": "MJ025760", "from_version": "old",
                                                            "to_version": "new"})
    reviewed.append_review_event("", "reference_recheck", "admin", {"from_version": "old", "to_version": "new",
                                                                    "affected": ["E001"]})
    fresh = ReviewStore.open(reviewed.set_dir, witness=witness)
    assert fresh.state("E001").state == "pending"  # back to review, nothing left to undo back to
    assert fresh.state("E001").undo_refusal("sato") is not None
    report = fresh.verify_chain(witness=witness)
    assert report.ok and report.count == 7 and len(witness.read_text().splitlines()) == 7
    fresh.close()
    conn = tamper(reviewed)
    conn.execute("UPDATE events SET body = ? WHERE seq = 6", (canonical_json({"entry": "MJ999999"}),))
    rehash_from(conn, 6)
    conn.close()
    code, out = verify_cli(reviewed.set_dir)
    assert code == 1 and "signature" in out
