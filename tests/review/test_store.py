"""ReviewStore: the two-person flow, the hash chain, concurrency and crash safety."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaiji.review.store import ReviewError, ReviewStore

TSUJI_1 = {"mj": "MJ025760", "char": "辻", "ucs": "U+8FBB", "ivs": ""}
TSUJI_2 = {"mj": "MJ025761", "char": "辻󠄀", "ucs": "U+8FBB", "ivs": "U+E0100"}


def make_set(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["gaiji_id,source,code,width,height,reading,usage_count,note,image"]
    rows += [f"g{i},t.bdf,U+E{i:03X},16,16,つじ,{i},,glyphs/g{i}.png" for i in range(n)]
    (folder / "glyphs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture()
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore.open(make_set(tmp_path / "set"))


def raw(store: ReviewStore) -> sqlite3.Connection:
    """A plain connection, as someone tampering with the file would have."""
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute("DROP TRIGGER events_append_only_delete")
    return conn


# -- the two-person flow ------------------------------------------------------------------


def test_second_reviewer_confirms(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致", comment="点が一つ")
    assert store.state("g0").state == "decided"
    assert store.final_decisions() == []
    assert [i["gaiji_id"] for i in store.open_items()] == ["g0", "g1", "g2"]
    store.record_decision("g0", "suzuki", TSUJI_1, "字形一致")
    (final,) = store.final_decisions()
    assert (final.mj, final.char, final.decided_by, final.checked_by) == ("MJ025760", "辻", "sato", "suzuki")
    assert final.comment == "点が一つ" and not final.auto_accepted
    assert final.decided_at <= final.checked_at
    assert store.counts() == {"pending": 2, "auto-accepted": 0, "decided": 0, "checked": 1, "disputed": 0}


def test_same_reviewer_cannot_check_own_decision(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    assert store.state("g0").state == "decided"
    assert store.final_decisions() == []


def test_disagreement_then_one_side_agrees(store: ReviewStore) -> None:
    store.record_decision("g1", "sato", TSUJI_1, "字形一致")
    store.record_decision("g1", "suzuki", TSUJI_2, "デザイン差")
    item = store.state("g1")
    assert item.state == "disputed"
    assert {p.mj for p in item.proposals.values()} == {"MJ025760", "MJ025761"}
    assert store.counts()["disputed"] == 1
    store.record_decision("g1", "sato", TSUJI_2, "デザイン差")
    (final,) = store.final_decisions()
    assert final.mj == "MJ025761" and final.ivs == "U+E0100"
    assert (final.decided_by, final.checked_by) == ("suzuki", "sato")


def test_class_difference_is_a_disagreement(store: ReviewStore) -> None:
    store.record_decision("g1", "sato", TSUJI_1, "字形一致")
    store.record_decision("g1", "suzuki", TSUJI_1, "類似")
    assert store.state("g1").state == "disputed"


def test_settle_needs_a_third_person(store: ReviewStore) -> None:
    store.record_decision("g2", "sato", TSUJI_1, "字形一致")
    store.record_decision("g2", "suzuki", None, "該当なし")
    with pytest.raises(ReviewError, match="one side"):
        store.settle("g2", "sato", TSUJI_1, "字形一致", basis="sato")
    store.settle("g2", "tanaka", None, "該当なし", comment="IPAmjに無い", basis="suzuki")
    (final,) = store.final_decisions()
    assert final.mj is None and final.identification_class == "該当なし"
    assert (final.decided_by, final.checked_by) == ("suzuki", "tanaka")
    assert [e.body.get("settle_basis") for e in store.events(gaiji_id="g2")] == [None, None, "suzuki"]
    with pytest.raises(ReviewError, match="not disputed"):
        store.settle("g2", "tanaka", None, "該当なし", basis="suzuki")


def test_settling_is_an_explicit_choice_between_the_views(store: ReviewStore) -> None:
    store.record_decision("g2", "sato", TSUJI_1, "字形一致")
    store.record_decision("g2", "suzuki", TSUJI_2, "デザイン差")
    # the named view must be exactly what is chosen
    with pytest.raises(ReviewError, match="differs from sato's view"):
        store.settle("g2", "tanaka", None, "該当なし", basis="sato")
    with pytest.raises(ReviewError, match="holds no view"):
        store.settle("g2", "tanaka", TSUJI_1, "字形一致", basis="yamada")
    # a third view needs a reason, and must really be a third view
    with pytest.raises(ReviewError, match="needs a comment"):
        store.settle("g2", "tanaka", None, "該当なし", basis="third")
    with pytest.raises(ReviewError, match="one of the disputed views"):
        store.settle("g2", "tanaka", TSUJI_1, "字形一致", basis="third", comment="x")
    assert store.state("g2").state == "disputed"
    store.settle("g2", "tanaka", TSUJI_1, "類似", basis="third", comment="どちらでもない")
    (final,) = store.final_decisions()
    assert (final.mj, final.identification_class, final.decided_by) == ("MJ025760", "類似", "tanaka")


def test_a_third_reviewer_cannot_decide_a_disagreement(store: ReviewStore) -> None:
    store.record_decision("g1", "sato", TSUJI_1, "字形一致")
    store.record_decision("g1", "suzuki", None, "該当なし")
    with pytest.raises(ReviewError, match="disputed between sato and suzuki: settle"):
        store.record_decision("g1", "tanaka", None, "該当なし")
    assert store.state("g1").state == "disputed" and len(store.state("g1").proposals) == 2


def test_two_person_rule_applies_from_its_change_never_back(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    assert store.final_decisions() == []
    store.set_two_person(False, "admin")
    assert not store.two_person
    # g0 was decided under the two-person rule: it still waits for a second reviewer
    assert store.final_decisions() == [] and store.state("g0").state == "decided"
    store.record_decision("g1", "sato", TSUJI_2, "デザイン差")
    (final,) = store.final_decisions()
    assert (final.gaiji_id, final.checked_by) == ("g1", None)
    store.set_two_person(True, "admin")
    assert [f.gaiji_id for f in store.final_decisions()] == ["g1"]  # switching back is not retroactive either
    reopened = ReviewStore.open(store.set_dir)
    assert reopened.two_person is True and [f.gaiji_id for f in reopened.final_decisions()] == ["g1"]
    assert [(e.kind, e.body.get("two_person")) for e in reopened.events()] == [
        ("decision", True), ("setting", False), ("decision", False), ("setting", True)]


def test_undo_puts_back_the_previous_view(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    store.record_decision("g0", "sato", TSUJI_2, "デザイン差")
    undo = store.undo("g0", "sato")
    assert undo.kind == "undo" and undo.body["undoes_seq"] == 2
    assert store.state("g0").proposals["sato"].mj == "MJ025760"
    store.undo("g0", "sato")
    assert store.state("g0").state == "pending"
    with pytest.raises(ReviewError, match="no decision"):
        store.undo("g0", "sato")
    assert [e.kind for e in store.events()] == ["decision", "decision", "undo", "undo"]  # nothing erased
    assert store.verify_chain().ok


def test_undo_is_refused_once_someone_confirmed(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    store.record_decision("g0", "suzuki", TSUJI_1, "字形一致")
    with pytest.raises(ReviewError, match="suzuki already confirmed"):
        store.undo("g0", "sato")
    store.undo("g0", "suzuki")  # the confirmation itself nobody confirmed: it may be withdrawn
    assert store.state("g0").state == "decided"
    with pytest.raises(ReviewError, match="no decision"):
        store.undo("g0", "tanaka")
    store.record_decision("g1", "sato", TSUJI_1, "字形一致")
    store.record_decision("g1", "suzuki", TSUJI_2, "字形一致")
    store.settle("g1", "tanaka", TSUJI_2, "字形一致", basis="suzuki")
    with pytest.raises(ReviewError, match="settle"):
        store.undo("g1", "tanaka")
    with pytest.raises(ReviewError):
        store.undo("g1", "suzuki")


def test_auto_accept_and_spot_check(store: ReviewStore) -> None:
    row = {"gaiji_id": "g0", "rank": "1", "mj": "MJ028901", "char": "高", "ucs": "U+9AD8", "ivs": "",
           "score": "0.97", "confidence": "0.998", "auto_accept": "1"}
    assert store.record_auto_accept("g0", row, reference_version="ref 1") is not None
    assert store.record_auto_accept("g0", row, reference_version="ref 1") is None  # idempotent
    assert store.state("g0").state == "auto-accepted"
    (final,) = store.final_decisions()
    assert final.auto_accepted and final.reference_version == "ref 1" and final.checked_by is None
    store.record_decision("g0", "sato", {"mj": "MJ028901", "char": "高"}, "字形一致")
    (final,) = store.final_decisions()
    assert final.auto_accepted and final.checked_by == "sato"
    store.record_decision("g0", "suzuki", {"mj": "MJ028902", "char": "髙"}, "字形一致")
    assert store.state("g0").state == "disputed"
    assert store.final_decisions() == []


@pytest.mark.parametrize(
    ("choice", "cls", "message"),
    [
        (TSUJI_1, "似てる", "not one of"),
        (None, "字形一致", "must be 該当なし"),
        (TSUJI_1, "該当なし", "means no MJ"),
        ({"mj": "8FBB"}, "字形一致", "not an MJ number"),
    ],
)
def test_bad_decisions_are_refused(store: ReviewStore, choice: object, cls: str, message: str) -> None:
    with pytest.raises(ReviewError, match=message):
        store.record_decision("g0", "sato", choice, cls)  # type: ignore[arg-type]
    assert list(store.events()) == []


def test_unknown_gaiji_and_reserved_reviewer(store: ReviewStore) -> None:
    with pytest.raises(ReviewError, match="not in"):
        store.record_decision("nope", "sato", TSUJI_1, "字形一致")
    with pytest.raises(ReviewError, match="reserved"):
        store.record_decision("g0", "auto-accept", TSUJI_1, "字形一致")
    with pytest.raises(ReviewError, match="required"):
        store.record_decision("g0", "  ", TSUJI_1, "字形一致")


def test_request_id_makes_retries_safe(store: ReviewStore) -> None:
    a = store.record_decision("g0", "sato", TSUJI_1, "字形一致", request_id="r-1")
    b = store.record_decision("g0", "sato", TSUJI_1, "字形一致", request_id="r-1")
    assert a.seq == b.seq and a.hash == b.hash
    assert len(list(store.events())) == 1


def test_rows_cannot_be_updated_through_sqlite(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET reviewer = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")


# -- the hash chain -----------------------------------------------------------------------


def fill(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致", comment="first")
    store.record_decision("g1", "sato", TSUJI_2, "デザイン差")
    store.record_decision("g0", "suzuki", TSUJI_1, "字形一致")
    store.record_decision("g2", "suzuki", None, "該当なし")


def test_chain_verifies_when_untouched(store: ReviewStore) -> None:
    fill(store)
    report = ReviewStore.open(store.set_dir).verify_chain()
    assert report.ok, report.problems
    assert report.count == 4 and report.head_seq == 4
    assert report.head_hash == list(store.events())[-1].hash


def test_chain_detects_an_edited_row(store: ReviewStore) -> None:
    fill(store)
    raw(store).execute("UPDATE events SET body = replace(body, 'MJ025760', 'MJ025761') WHERE seq = 1")
    report = store.verify_chain()
    assert not report.ok
    assert any("event 1" in p and "edited" in p for p in report.problems)


def test_chain_detects_an_edited_reviewer(store: ReviewStore) -> None:
    fill(store)
    raw(store).execute("UPDATE events SET reviewer = 'tanaka' WHERE seq = 3")
    assert any("event 3" in p for p in store.verify_chain().problems)


def test_chain_detects_a_deleted_row(store: ReviewStore) -> None:
    fill(store)
    raw(store).execute("DELETE FROM events WHERE seq = 2")
    problems = store.verify_chain().problems
    assert any("missing" in p for p in problems)
    assert any("event 3" in p and "link" in p for p in problems)


def test_chain_detects_a_deleted_last_row(store: ReviewStore) -> None:
    fill(store)
    raw(store).execute("DELETE FROM events WHERE seq = 4")
    assert any("head" in p for p in store.verify_chain().problems)


def test_chain_detects_a_rehashed_forgery_of_the_tail(store: ReviewStore) -> None:
    """Recomputing one row's hash is not enough: the head and next links disagree."""
    from gaiji.review.chain import event_hash

    fill(store)
    conn = raw(store)
    row = dict(zip(
        ["seq", "at", "gaiji_id", "kind", "reviewer", "request_id", "body", "prev_hash", "hash"],
        conn.execute("SELECT * FROM events WHERE seq = 2").fetchone(),
    ))
    row["body"] = row["body"].replace("MJ025761", "MJ025760")
    conn.execute("UPDATE events SET body = ?, hash = ? WHERE seq = 2", (row["body"], event_hash(row, row["prev_hash"])))
    problems = store.verify_chain().problems
    assert any("event 3" in p and "link" in p for p in problems)


# -- concurrency --------------------------------------------------------------------------


def test_threads_never_lose_or_duplicate(tmp_path: Path) -> None:
    set_dir = make_set(tmp_path / "set", n=40)
    store = ReviewStore.open(set_dir)
    reviewers = [f"r{i}" for i in range(5)]

    def work(name: str) -> None:
        for g in range(40):
            store.record_decision(f"g{g}", name, TSUJI_1, "字形一致", request_id=f"{name}-{g}")

    with ThreadPoolExecutor(max_workers=5) as pool:
        for future in [pool.submit(work, r) for r in reviewers]:
            future.result()  # re-raises a worker's error here
    events = list(ReviewStore.open(set_dir).events())
    assert len(events) == 200
    assert len({e.request_id for e in events}) == 200
    assert [e.seq for e in events] == list(range(1, 201))
    assert store.verify_chain().ok
    assert store.counts()["checked"] == 40


def _process_worker(set_dir: str, name: str, n: int) -> None:
    store = ReviewStore.open(set_dir)
    for g in range(n):
        store.record_decision(f"g{g % 10}", name, TSUJI_2, "デザイン差", request_id=f"{name}-{g}")


def test_processes_never_lose_or_duplicate(tmp_path: Path) -> None:
    set_dir = make_set(tmp_path / "set", n=10)
    ReviewStore.open(set_dir)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_worker, args=(str(set_dir), f"p{i}", 30)) for i in range(5)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = ReviewStore.open(set_dir)
    events = list(store.events())
    assert len(events) == 150 and len({e.request_id for e in events}) == 150
    assert store.verify_chain().ok


CRASH_WRITER = """
import sys
from gaiji.review.store import ReviewStore
store = ReviewStore.open(sys.argv[1])
i = 0
while True:
    store.record_decision(f"g{i % 5}", f"r{i % 2}", {"mj": "MJ025760", "char": "辻"}, "字形一致",
                          request_id=f"req-{i}")
    print(i, flush=True)   # acknowledged: the decision is durable now
    i += 1
"""


def test_killed_writer_loses_nothing_acknowledged(tmp_path: Path) -> None:
    set_dir = make_set(tmp_path / "set", n=5)
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_WRITER, str(set_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.stdout is not None
    acked = []
    deadline = time.monotonic() + 30
    while len(acked) < 40 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(acked) >= 40
    store = ReviewStore.open(set_dir)
    stored = {e.request_id for e in store.events()}
    assert {f"req-{i}" for i in acked} <= stored
    assert store.verify_chain().ok


# -- the fold against an independent model -------------------------------------------------

CHOICES = {"t1": (TSUJI_1, "字形一致"), "t2": (TSUJI_2, "デザイン差"), "none": (None, "該当なし")}
actions = st.lists(
    st.tuples(st.sampled_from(["sato", "suzuki", "tanaka"]), st.sampled_from(["g0", "g1"]),
              st.sampled_from([*sorted(CHOICES), "undo"])),
    max_size=12,
)


def expected_state(latest: dict[str, str]) -> str:
    """Reference model: each reviewer's latest choice counts; agreement of two people checks."""
    if not latest:
        return "pending"
    if len(set(latest.values())) > 1:
        return "disputed"
    return "checked" if len(latest) >= 2 else "decided"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_states_match_an_independent_model(tmp_path_factory: pytest.TempPathFactory, steps: list) -> None:
    store = ReviewStore.open(make_set(tmp_path_factory.mktemp("set"), n=2))
    # model: per gaiji, per reviewer a stack of (choice, since step); the top is their view
    stacks: dict[str, dict[str, list[tuple[str, int]]]] = {"g0": {}, "g1": {}}
    for step, (reviewer, gid, key) in enumerate(steps):
        tops = {r: st_[-1] for r, st_ in stacks[gid].items() if st_}
        latest = {r: t[0] for r, t in tops.items()}
        if key == "undo":
            mine = tops.get(reviewer)
            allowed = mine is not None and not any(
                r != reviewer and t[0] == mine[0] and t[1] > mine[1] for r, t in tops.items())
            if allowed:
                store.undo(gid, reviewer)
                stacks[gid][reviewer].pop()
            else:
                with pytest.raises(ReviewError):
                    store.undo(gid, reviewer)
            continue
        choice, cls = CHOICES[key]
        if expected_state(latest) == "disputed" and reviewer not in latest:
            with pytest.raises(ReviewError, match="settle"):
                store.record_decision(gid, reviewer, choice, cls)
            continue
        store.record_decision(gid, reviewer, choice, cls)
        stack = stacks[gid].setdefault(reviewer, [])
        since = stack[-1][1] if stack and stack[-1][0] == key else step
        stack.append((key, since))
    fresh = ReviewStore.open(store.set_dir)  # a full fold must equal the incremental one
    finals = {f.gaiji_id: f for f in store.final_decisions()}
    for gid in ("g0", "g1"):
        latest = {r: st_[-1][0] for r, st_ in stacks[gid].items() if st_}
        assert store.state(gid).state == expected_state(latest)
        assert fresh.state(gid).state == store.state(gid).state
        if expected_state(latest) == "checked":
            final = finals[gid]
            assert final.decided_by != final.checked_by
            agreed = CHOICES[next(iter(latest.values()))][0]
            assert final.mj == (agreed["mj"] if agreed else None)
        else:
            assert gid not in finals
    assert store.verify_chain().ok


def test_rules_hold_under_concurrency(tmp_path: Path) -> None:
    """A confirmation and an undo racing each other: never an undo after the confirmation
    (the rule is checked inside the write transaction)."""
    import threading

    store = ReviewStore.open(make_set(tmp_path / "set", n=30))
    outcomes = []
    for i in range(30):
        gid = f"g{i}"
        store.record_decision(gid, "sato", TSUJI_1, "字形一致")
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}

        def confirm(gid: str = gid, results: dict = results, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            store.record_decision(gid, "suzuki", TSUJI_1, "字形一致")
            results["confirm"] = "ok"

        def undo(gid: str = gid, results: dict = results, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                store.undo(gid, "sato")
                results["undo"] = "ok"
            except ReviewError:
                results["undo"] = "refused"

        threads = [threading.Thread(target=confirm), threading.Thread(target=undo)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        kinds = [(e.kind, e.reviewer) for e in store.events(gaiji_id=gid)]
        if results["undo"] == "ok":
            assert kinds.index(("undo", "sato")) < kinds.index(("decision", "suzuki")), kinds
        else:
            assert kinds == [("decision", "sato"), ("decision", "suzuki")]
        outcomes.append(results["undo"])
    assert ReviewStore.open(store.set_dir).verify_chain().ok
