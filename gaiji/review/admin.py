"""Administrator actions outside the desk (``gaiji review settings``)."""

from __future__ import annotations

from pathlib import Path

from gaiji.extract.gaijiset import require_gaiji_set
from gaiji.review.accounts import AccountError, load_accounts
from gaiji.review.store import ReviewStore


def change_two_person(set_dir: Path, two_person: bool | None, admin: str) -> bool:
    """Switch the two-person rule (None: only report it). With accounts, *admin* must be an
    administrator's name; without accounts whoever can write the set administers it."""
    accounts = load_accounts(set_dir)
    if accounts:
        account = accounts.get(admin)
        if account is None or not account.is_admin:
            admins = ", ".join(sorted(a.name for a in accounts.values() if a.is_admin)) or "none yet"
            raise AccountError(
                f"{admin!r} is not an administrator of {set_dir} (administrators: {admins}); "
                f"make one with `gaiji review add-reviewer {set_dir} NAME --admin`"
            )
    store = ReviewStore.open(require_gaiji_set(set_dir))
    try:
        if two_person is not None and two_person != store.two_person:
            store.set_two_person(two_person, admin, role="administrator")
        return store.two_person
    finally:
        store.close()
