"""`gaiji match` spreads its work over worker processes (images read while the index loads,
batches ranked and candidate rows formatted by forked workers): the bytes written must be
the ones a single process writes, batch for batch, on real glyphs against the real reference.

The thresholds that keep small sets in one process are lowered here so that the bundled
sample municipality (233 gaiji) goes through every parallel path; both runs use the same
batches (the matcher's linear algebra rounds the last bits by batch shape).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaiji.match import matcher, writer

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def municipality(tmp_path_factory) -> Path:
    from gaiji.extract.build import extract_gaiji_set
    from gaiji.sample import sample_dir

    out = tmp_path_factory.mktemp("municipality") / "set"
    extract_gaiji_set([sample_dir()], out)
    return out


def _match_and_write(set_dir: Path, reference, out: Path, *, cores: int, matcher_name: str, fmt: str,
                     monkeypatch: pytest.MonkeyPatch, ref_sets: list | None = None,
                     ) -> tuple[matcher.MatchResult, list[str]]:
    calls: list[str] = []
    real_fork_context = matcher._fork_context

    def counted_fork_context():  # type: ignore[no-untyped-def]
        calls.append("fork")
        return real_fork_context()

    monkeypatch.setattr(matcher, "_cores", lambda: cores)
    monkeypatch.setattr(matcher, "_fork_context", counted_fork_context)
    result = matcher.match_gaiji_set(set_dir, reference, ref_sets=ref_sets or [], matcher=matcher_name)
    writer.write_candidates(result, out, fmt=fmt, workers=cores)
    return result, calls


@pytest.mark.parametrize(("matcher_name", "fmt"), [("v2", "csv"), ("v1", "jsonl")])
def test_parallel_match_writes_the_bytes_one_process_writes(
    reference, match_index, municipality: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    matcher_name: str, fmt: str,
) -> None:
    monkeypatch.setattr(matcher, "BATCH", 64)  # 233 gaiji → 4 batches
    monkeypatch.setattr(matcher, "PARALLEL_MIN", 1)
    monkeypatch.setattr(writer, "PARALLEL_WRITE_MIN", 1)
    par, forks = _match_and_write(municipality, reference, tmp_path / f"par.{fmt}", cores=2,
                                  matcher_name=matcher_name, fmt=fmt, monkeypatch=monkeypatch)
    # images, ranking and writing each went to forked workers
    assert len(forks) >= 3
    one, forks_one = _match_and_write(municipality, reference, tmp_path / f"one.{fmt}", cores=1,
                                      matcher_name=matcher_name, fmt=fmt, monkeypatch=monkeypatch)
    assert forks_one == []
    assert len(par.gaiji_ids) == len(one.gaiji_ids) > 200
    assert par.gaiji_ids == one.gaiji_ids
    np.testing.assert_array_equal(par.ranked.rows, one.ranked.rows)
    assert (tmp_path / f"par.{fmt}").read_bytes() == (tmp_path / f"one.{fmt}").read_bytes()


def test_prepared_chunks_from_workers_equal_one_process(municipality: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gaiji.extract.gaijiset import read_gaiji_set

    monkeypatch.setattr(matcher, "PARALLEL_MIN", 1)
    monkeypatch.setattr(matcher, "CHUNK", 50)
    paths = [str(r.image_path) for r in read_gaiji_set(municipality).records if not r.blank]
    par = matcher.PreparingQueries(paths, workers=2)
    assert par._pool is not None
    seq = matcher.PreparingQueries(paths, workers=1)
    assert seq._pool is None
    for a, b in zip(par.result(), seq.result()):
        np.testing.assert_array_equal(a, b)


def test_stopped_preparation_leaves_no_workers(municipality: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gaiji.extract.gaijiset import read_gaiji_set

    monkeypatch.setattr(matcher, "PARALLEL_MIN", 1)
    monkeypatch.setattr(matcher, "CHUNK", 20)
    paths = [str(r.image_path) for r in read_gaiji_set(municipality).records if not r.blank]
    preparing = matcher.PreparingQueries(paths, workers=2)
    pool = preparing._pool
    assert pool is not None
    processes = list(pool._processes.values())
    preparing.close()
    assert preparing._pool is None
    assert all(not p.is_alive() for p in processes)


def test_write_slices_cover_every_gaiji_once() -> None:
    for n in (0, 1, 3999, 4000, 10_007):
        for workers in (1, 2, 3):
            slices = writer._slices(n, workers)
            covered = [i for lo, hi in slices for i in range(lo, hi)]
            assert covered == list(range(n)), (n, workers)
    assert len(writer._slices(10_000, 2)) == 4
    assert len(writer._slices(10_000, 1)) == 1


@pytest.fixture(scope="module")
def added_set(tmp_path_factory):
    from gaiji.reference import refsets

    sample = Path(__file__).resolve().parents[2] / "gaiji" / "sample" / "refset"
    home = tmp_path_factory.mktemp("sets-home")
    refsets.add_set("HanaExt", [sample / "refset-sample.ttf"], sample / "refset.csv", home=home)
    return refsets.load_set("HanaExt", home)


def test_an_added_set_is_ranked_in_the_workers_as_in_one_process(
    reference, match_index, municipality: Path, added_set, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(matcher, "BATCH", 64)
    monkeypatch.setattr(matcher, "PARALLEL_MIN", 1)
    monkeypatch.setattr(writer, "PARALLEL_WRITE_MIN", 1)
    par, forks = _match_and_write(municipality, reference, tmp_path / "par.csv", cores=2, matcher_name="v2",
                                  fmt="csv", monkeypatch=monkeypatch, ref_sets=[added_set])
    assert len(forks) >= 3
    one, _ = _match_and_write(municipality, reference, tmp_path / "one.csv", cores=1, matcher_name="v2",
                              fmt="csv", monkeypatch=monkeypatch, ref_sets=[added_set])
    assert par.gaiji_ids == one.gaiji_ids
    assert (tmp_path / "par.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    # the set was ranked: its entries come first for the sample's gaiji that only it has
    first_in_set = (par.ranked.rows[:, 0] >= len(par.index.rows)).sum()
    assert first_in_set >= 5


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_formatted_where_they_are_ranked_are_the_rows_written_after(
    reference, match_index, municipality: Path, added_set, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str,
) -> None:
    """`gaiji match` has each ranking worker write its batch's rows out as text
    (``formatting``); the file must be the one formatting the whole result afterwards gives."""
    monkeypatch.setattr(matcher, "BATCH", 64)  # 233 gaiji → 4 batches, ranked by forked workers
    monkeypatch.setattr(matcher, "PARALLEL_MIN", 1)
    monkeypatch.setattr(matcher, "_cores", lambda: 2)
    after = matcher.match_gaiji_set(municipality, reference, ref_sets=[added_set])
    assert after.formatted == []
    early = matcher.match_gaiji_set(municipality, reference, ref_sets=[added_set], formatting=fmt)
    assert [f for f, _, _ in early.formatted] == [fmt] * 4 and early.ranked.formatted == []
    assert sum(n for _, _, n in early.formatted) == 10 * len(early.gaiji_ids)
    writer.write_candidates(after, tmp_path / "after", fmt=fmt)
    writer.write_candidates(early, tmp_path / "early", fmt=fmt)
    assert (tmp_path / "early").read_bytes() == (tmp_path / "after").read_bytes()
    # asked for the other format, the writer formats the result itself
    other = "jsonl" if fmt == "csv" else "csv"
    writer.write_candidates(after, tmp_path / "after2", fmt=other)
    writer.write_candidates(early, tmp_path / "early2", fmt=other)
    assert (tmp_path / "early2").read_bytes() == (tmp_path / "after2").read_bytes()
    assert (tmp_path / "early2").read_bytes() != (tmp_path / "early").read_bytes()


def test_an_unknown_output_format_is_refused_before_matching(reference, municipality: Path) -> None:
    from gaiji.errors import InputError

    with pytest.raises(InputError, match="unknown format 'xml'"):
        matcher.match_gaiji_set(municipality, reference, ref_sets=[], formatting="xml")


def _report_fork_context(queue) -> None:  # type: ignore[no-untyped-def]
    from gaiji.match.matcher import _fork_context

    queue.put(_fork_context() is None)


def test_a_daemonic_process_ranks_in_itself_instead_of_forking_workers():
    """A Dask worker (daemonic) may not have children: matching, the writer and the index build's
    look-alikes run in the worker itself there (stop 19: a first index build inside a corpus
    worker failed with 'daemonic processes are not allowed to have children')."""
    import multiprocessing

    from gaiji.match.matcher import _fork_context

    assert _fork_context() is not None  # this process may fork
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    worker = ctx.Process(target=_report_fork_context, args=(queue,), daemon=True)
    worker.start()
    assert queue.get(timeout=60) is True
    worker.join(timeout=60)


def test_matching_pauses_garbage_collection_and_gives_the_callers_setting_back(
    reference, municipality: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ranking runs without cyclic collection (it makes no cycles; collections cost ~5 % of a
    run); the caller's setting is restored afterwards, also when matching fails."""
    import gc

    from gaiji.errors import InputError

    seen: list[bool] = []
    real_rank = matcher._rank_job

    def rank_noting_gc(job, start):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real_rank(job, start)

    monkeypatch.setattr(matcher, "_rank_job", rank_noting_gc)
    assert gc.isenabled()
    matcher.match_gaiji_set(municipality, reference, ref_sets=[])
    assert seen and not any(seen)
    assert gc.isenabled()
    with pytest.raises(InputError):
        matcher.match_gaiji_set(municipality, reference, ref_sets=[], formatting="xml")
    assert gc.isenabled()
    gc.disable()
    try:
        matcher.match_gaiji_set(municipality, reference, ref_sets=[])
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
