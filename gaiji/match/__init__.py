"""Pipeline stage: match — rank MJ candidates for every gaiji by shape and ledger hints.

Entry points: :func:`match_gaiji_set` and :func:`write_candidates`; the index behind them is
:func:`gaiji.match.index.load_match_index`.
"""

from gaiji.match.matcher import MatchResult, match_gaiji_set, match_rasters
from gaiji.match.writer import COLUMNS, write_candidates

__all__ = ["COLUMNS", "MatchResult", "match_gaiji_set", "match_rasters", "write_candidates"]
