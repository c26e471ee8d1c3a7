"""The corpus on Dask against the real reference: candidates identical to `gaiji match SET`,
an existing cluster reached by scheduler address, kill -9 and resume.

`gaiji match` ranks with NumPy/OpenBLAS, whose last bits depend on how many BLAS threads
split a product; Dask workers run one BLAS thread each (Dask sets OMP/OPENBLAS/MKL_NUM_THREADS
to 1 in workers). The per-set command is therefore run with one BLAS thread too — then the
files are byte-identical. (With two BLAS threads `gaiji match` itself differs from its own
one-thread output in about 0.2 % of rows, by 0.0001 in a printed score.)
"""

from __future__ import annotations

import filecmp
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.corpus.helpers import bitmap, in_cell, rescaled, write_set

pytestmark = [pytest.mark.reference, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ONE_BLAS_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CHARS = "髙辻吉鷗崎德榮淵濵澤邊櫻瀨齋廣濱斎藤渡邉"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture()
def small_corpus(tmp_path: Path, reference) -> Path:
    """Four towns; shared bitmaps, one rescaled, readings on some, one blank glyph."""
    from gaiji.corpus.registry import add_sets

    corpus = tmp_path / "corpus"
    for t in range(4):
        glyphs, readings = {}, {}
        for i, ch in enumerate(CHARS[t : t + 12]):
            ink = bitmap(ch, 24 if t % 2 == 0 else 16)
            if t == 3 and i == 0:
                ink = rescaled(ink, 2)
            glyphs[f"t{t}-{i:02d}"] = in_cell(ink, 32, t, t)
            if t in (1, 2):
                readings[f"t{t}-{i:02d}"] = "たか" if ch == "髙" else ""
        glyphs[f"t{t}-blank"] = in_cell(ink * 0, 24)
        write_set(tmp_path / f"town{t}", glyphs, readings, blank=(f"t{t}-blank",) if t == 0 else ())
        add_sets(corpus, [tmp_path / f"town{t}"], municipality=f"町{t}", code=f"{t + 1:02d}100", vendor="V")
    return corpus


def _run(corpus: Path, **kw):
    from gaiji.corpus.pipeline import run_stages

    return run_stages(corpus, ("group", "match"), **kw)


def test_corpus_candidates_are_the_files_gaiji_match_writes(small_corpus, tmp_path):
    summary = _run(small_corpus, workers=2)
    assert summary["workers"] == 2 and summary["match"]["sets"] == 4
    for t in range(4):
        own = tmp_path / f"own{t}.csv"
        subprocess.run([sys.executable, "-m", "gaiji", "match", str(tmp_path / f"town{t}"), "-o", str(own), "-q"],
                       check=True, cwd=ROOT, env={**_env(), **ONE_BLAS_THREAD}, capture_output=True)
        assert filecmp.cmp(own, small_corpus / "candidates" / f"town{t}.csv", shallow=False), f"town{t}"
    # a second run finds every set's candidates written and keeps them
    again = _run(small_corpus, workers=2)
    assert again["group"]["partitions_reused"] == again["group"]["partitions"]
    assert again["match"]["sets_reused"] == 4


def test_dedupe_mode_ranks_the_same_candidates(small_corpus):
    import csv

    _run(small_corpus, workers=2)
    exact = {t: (small_corpus / "candidates" / f"town{t}.csv").read_text(encoding="utf-8") for t in range(4)}
    from gaiji.corpus.pipeline import run_stages

    out = run_stages(small_corpus, ("match",), workers=2, mode="dedupe")
    assert out["match"]["distinct_units"] < out["match"]["gaiji"]  # shared glyphs ranked once
    for t in range(4):
        a = list(csv.DictReader(exact[t].splitlines()))
        b = list(csv.DictReader((small_corpus / "candidates" / f"town{t}.csv").read_text(encoding="utf-8").splitlines()))
        assert [(r["gaiji_id"], r["mj"]) for r in a] == [(r["gaiji_id"], r["mj"]) for r in b]
        assert max(abs(float(x["score"]) - float(y["score"])) for x, y in zip(a, b)) <= 0.00011


def test_tasks_are_small_and_the_index_is_loaded_once_per_worker(small_corpus):
    from gaiji.corpus.engine import dask_client
    from gaiji.corpus.match import plan_match
    from gaiji.corpus.pipeline import matcher_fingerprint, prepare_and_group, resolved_home
    from gaiji.corpus.registry import read_registry
    from gaiji.corpus.worker import loaded_homes

    home = resolved_home(None)
    with dask_client(workers=2, home=home) as client:
        prepare_and_group(small_corpus, client=client)
        plan = plan_match(small_corpus, read_registry(small_corpus), home=home,
                          index_key=matcher_fingerprint(home), mode="dedupe")
        # a task carries paths and row numbers, never rasters or the index
        assert max(len(pickle.dumps(t)) for t in plan.blocks + plan.sets) < 20_000
        per_worker = client.run(loaded_homes)
    assert len(per_worker) == 2 and all(homes == [home] for homes in per_worker.values())


def _start(cmd: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env={**_env(), **ONE_BLAS_THREAD}, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def test_scheduler_address_run_equals_the_embedded_run(small_corpus, tmp_path):
    from gaiji.corpus.tables import read_table

    other = tmp_path / "copy"
    shutil.copytree(small_corpus, other)
    # the copy's registry points at the same sets (absolute paths), so both runs read the same glyphs
    _run(small_corpus, workers=2)
    sched_file = tmp_path / "scheduler.json"
    procs = [_start(["dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(sched_file)], tmp_path / "scheduler.log")]
    try:
        for _ in range(200):
            if sched_file.is_file() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(_start(["dask", "worker", "--scheduler-file", str(sched_file), "--nworkers", "2",
                             "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"], tmp_path / "workers.log"))
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        summary = _run(other, scheduler=address)
        assert summary["workers"] == 2 and summary["engine"] == address
    finally:
        for p in reversed(procs):
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    for t in range(4):
        assert filecmp.cmp(small_corpus / "candidates" / f"town{t}.csv", other / "candidates" / f"town{t}.csv",
                           shallow=False)
    cols = ["set", "gaiji_id", "group_id", "relation", "cosine", "stroke_distance"]
    assert read_table(small_corpus, "memberships", cols).equals(read_table(other, "memberships", cols))


def test_kill_9_of_the_whole_run_loses_no_finished_partition(tmp_path, reference):
    from gaiji.corpus.simulate import SimulationOptions, simulate_corpus

    corpus = tmp_path / "sim"
    simulate_corpus(corpus, SimulationOptions(municipalities=10, gaiji_per=250, seed=7), reference=reference)
    cmd = [sys.executable, "-m", "gaiji", "corpus", "group", str(corpus), "--workers", "2", "-q", "--json"]
    run = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    parts_dir = corpus / "tables" / "gaiji"
    finished: dict[Path, int] = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not finished:
        finished = {p: p.stat().st_mtime_ns for p in parts_dir.rglob("*.parquet")} if parts_dir.is_dir() else {}
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)  # the run and its LocalCluster, all at once
    run.wait()
    assert finished, "no partition finished within 2 minutes"
    assert len(finished) < 10, "every partition finished before the kill; nothing to resume"
    out = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout)["group"]
    assert summary["partitions"] == 10 and summary["partitions_reused"] >= len(finished)
    for p, mtime in finished.items():
        assert p.stat().st_mtime_ns == mtime  # kept, not recomputed
    import pyarrow.parquet as pq

    assert summary["gaiji"] == pq.read_table(corpus / "truth.parquet").num_rows


def test_kill_9_of_a_worker_is_survived(tmp_path, reference):
    """Dask reruns a killed worker's tasks on the other (and the restarted) worker; parts
    already written stay; the stage completes."""
    import threading

    from gaiji.corpus.engine import dask_client, map_partitions
    from gaiji.corpus.prepare import plan_prepare, prepare_partition
    from gaiji.corpus.registry import read_registry
    from gaiji.corpus.simulate import SimulationOptions, simulate_corpus

    corpus = tmp_path / "sim"
    simulate_corpus(corpus, SimulationOptions(municipalities=8, gaiji_per=250, seed=8), reference=reference)
    parts = plan_prepare(corpus, read_registry(corpus))
    killed: list[int] = []
    with dask_client(workers=2) as client:
        pid = next(iter(client.run(os.getpid).values()))

        def kill_when_a_part_exists() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any(p.path.is_file() for p in parts):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(sum(p.path.is_file() for p in parts))
                    return
                time.sleep(0.02)

        watcher = threading.Thread(target=kill_when_a_part_exists)
        watcher.start()
        map_partitions(client, prepare_partition, parts, label="prepare")
        watcher.join()
    assert killed and killed[0] < len(parts), "the worker was not killed mid-run"
    assert all(p.path.is_file() for p in parts)
