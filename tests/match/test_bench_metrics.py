"""The benchmark's metric functions on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gaiji.match.bench import (
    accept_stats,
    answer_ranks,
    mean_reciprocal_rank,
    score_subset,
    top_k_accuracy,
)


def test_answer_ranks():
    cand = np.array([[3, 1, 2], [9, 8, 7], [4, 5, 6]])
    assert answer_ranks(cand, np.array([3, 7, 0])).tolist() == [1, 3, 0]


def test_top_k_and_mrr():
    ranks = np.array([1, 1, 2, 5, 0, 10, 11])
    assert top_k_accuracy(ranks, 1) == 2 / 7
    assert top_k_accuracy(ranks, 5) == 4 / 7
    assert top_k_accuracy(ranks, 10) == 5 / 7
    assert math.isclose(mean_reciprocal_rank(ranks), (1 + 1 + 0.5 + 0.2 + 0 + 0.1 + 1 / 11) / 7)
    assert math.isnan(top_k_accuracy(np.array([]), 1))


def test_accept_stats():
    share, precision, n = accept_stats(np.array([1, 1, 1, 0], bool), np.array([1, 1, 0, 0], bool))
    assert (share, n) == (0.75, 3) and math.isclose(precision, 2 / 3)
    share, precision, n = accept_stats(np.zeros(3, bool), np.ones(3, bool))
    assert share == 0 and n == 0 and math.isnan(precision)


def test_score_subset_precision_counts_only_rank_one():
    ranks = np.array([1, 2, 1, 0])
    s = score_subset("x", ranks, np.array([1, 1, 1, 0], bool), np.array([1, 1, 0, 0], bool))
    assert s.accept_precision == 0.5 and s.accepted == 2 and s.top1 == 0.5 and s.ucs_top1 == 0.75


def test_a_timed_run_reports_wall_memory_and_cpu_of_the_new_process() -> None:
    import shutil

    from gaiji.match.bench import run_cli

    timed = run_cli(["-c", "sum(i * i for i in range(2_000_000))"])
    assert timed.wall > 0
    if shutil.which("time", path="/usr/bin:/bin"):
        # the busy loop is CPU time of that process; its peak is a Python process's, not ours
        assert 0 < timed.cpu < timed.wall + 1
        assert 5 < timed.peak_rss_mb < 500
    with pytest.raises(RuntimeError, match="failed"):
        run_cli(["-c", "raise SystemExit(3)"])
