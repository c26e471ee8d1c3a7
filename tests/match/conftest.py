"""Fixtures for the match tests: the real match index (built once beside the reference)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def match_index(reference):
    from gaiji.match.index import load_match_index

    return load_match_index(reference)


@pytest.fixture(scope="session")
def hanazono():
    from gaiji.match.bench import HANAZONO_A
    from gaiji.match.synth import FontRenderer

    if not HANAZONO_A.path.is_file():
        pytest.fail(f"{HANAZONO_A.path} missing: apt-get install fonts-hanazono (scripts/setup.sh does)")
    return FontRenderer(HANAZONO_A)
