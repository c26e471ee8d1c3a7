"""Issue 13: every CSV gaiji writes is inert in a spreadsheet and on a terminal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gaiji.csvsafe import FORMULA_START, neutralise, unneutralise


@given(st.text(max_size=30))
def test_neutralised_cells_never_start_a_formula_nor_carry_controls(value):
    out = neutralise(value)
    assert not out or out[0] not in FORMULA_START
    assert not any(ord(c) < 0x20 and c not in "\t\n\r" or 0x7F <= ord(c) <= 0x9F for c in out)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc",)), max_size=30))
def test_round_trip_without_controls(value):
    assert unneutralise(neutralise(value)) == value


def test_candidates_rows_are_inert():
    from gaiji.match.writer import csv_safe

    row = {"gaiji_id": "=x", "rank": 1, "score": -0.5, "char": "辻", "reading_matched": "\x1bつじ"}
    safe = csv_safe(row)
    assert safe == {"gaiji_id": "'=x", "rank": 1, "score": -0.5, "char": "辻", "reading_matched": "␛つじ"}
