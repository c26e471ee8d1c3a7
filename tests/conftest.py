"""Shared fixtures.

`reference` is the real MJ reference built by `gaiji reference build` (the README's setup
does it; CI too). Tests never substitute a fake for it.
"""

from __future__ import annotations

import pytest

from gaiji.errors import ReferenceMissing


@pytest.fixture(scope="session")
def reference():
    from gaiji.reference import load_reference

    try:
        return load_reference()
    except ReferenceMissing as exc:  # pragma: no cover - setup problem, not a test result
        pytest.fail(f"{exc}\n(run `bash scripts/setup.sh --test` first)", pytrace=False)
