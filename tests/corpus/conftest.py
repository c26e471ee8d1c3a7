from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.helpers import bitmap, in_cell, rescaled, write_set

# 辻 and 㑹 come with IVS variants in Hanazono that differ by a dot or a stroke end
VARIANT_A, VARIANT_B = "㑹\U000E0100", "㑹\U000E0101"


@pytest.fixture()
def three_towns(tmp_path: Path) -> dict[str, Path]:
    """Three towns' sets sharing glyphs: identical, shifted, rescaled; plus variants and
    a character only one town has."""
    a24, b24, c24 = bitmap("髙", 24), bitmap("辻", 24), bitmap("吉", 24)
    sets = {
        "town-a": write_set(tmp_path / "town-a", {
            "a-taka": in_cell(a24, 24), "a-tsuji": in_cell(b24, 24), "a-kichi": in_cell(c24, 24),
            "a-var": in_cell(bitmap(VARIANT_A, 24), 24), "a-blank": in_cell(a24 * 0, 24),
        }, readings={"a-taka": "たか", "a-tsuji": "つじ"}, blank=("a-blank",)),
        "town-b": write_set(tmp_path / "town-b", {
            "b-taka": in_cell(a24, 28, 0, 0),           # same bitmap, elsewhere in a bigger cell
            "b-tsuji": in_cell(rescaled(b24, 4 / 3), 32),  # the 24 px bitmap scaled to 32 px
            "b-var": in_cell(bitmap(VARIANT_B, 24), 24),  # the other variant, same size
            "b-own": in_cell(bitmap("鷗", 24), 24),
        }, readings={"b-taka": "タカ"}),
        "town-c": write_set(tmp_path / "town-c", {
            "c-taka": in_cell(a24, 24, 1, 2), "c-kichi": in_cell(c24, 26),
        }),
    }
    return sets
