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


@pytest.fixture(scope="session", autouse=True)
def desk_key_path(tmp_path_factory: pytest.TempPathFactory):
    """One review-desk signing key for the whole test session, outside every set and outside
    ~/.config (session-wide, so session-scoped fixtures that review sign with it too)."""
    path = tmp_path_factory.mktemp("desk-key") / "review-signing-key.pem"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAIJI_REVIEW_KEY", str(path))
        mp.delenv("GAIJI_REVIEW_WITNESS", raising=False)
        yield path
