"""The benchmark's metric functions on hand-made cases."""

from __future__ import annotations

import math

import numpy as np

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
