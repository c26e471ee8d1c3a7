"""Reviewer accounts and request-safety helpers for the review desk.

Accounts live beside the set in ``SET/reviewers.json`` (name → salted password hash from
:mod:`werkzeug.security`, never the password). They are required whenever the desk listens
on anything but the loopback interface; with accounts present every reviewer signs in, even
on loopback.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from gaiji.errors import GaijiError
from gaiji.extract.gaijiset import require_gaiji_set
from gaiji.fsutil import atomic_write
from gaiji.review.state import AUTO_REVIEWER

ACCOUNTS_FILE = "reviewers.json"
MIN_PASSWORD = 8


class AccountError(GaijiError):
    """Reviewer accounts are missing or wrong."""


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_accounts(set_dir: Path) -> dict[str, str]:
    """Reviewer name → password hash ({} when the set has no accounts file)."""
    path = set_dir / ACCOUNTS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v["password"]) for k, v in data["reviewers"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AccountError(f"{path}: not a reviewer accounts file ({exc}); recreate it with `gaiji review add-reviewer`") from exc


def add_reviewer(set_dir: Path, name: str, password: str) -> None:
    """Create or replace one reviewer's account."""
    name = name.strip()
    if not name or len(name) > 80 or name == AUTO_REVIEWER:
        raise AccountError(f"{name!r} cannot be a reviewer name (1–80 characters, not {AUTO_REVIEWER!r})")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    require_gaiji_set(set_dir)
    accounts = load_accounts(set_dir)
    accounts[name] = generate_password_hash(password)
    path = set_dir / ACCOUNTS_FILE
    with atomic_write(path) as handle:
        json.dump({"reviewers": {k: {"password": v} for k, v in sorted(accounts.items())}}, handle,
                  ensure_ascii=False, indent=1)
    path.chmod(0o600)


def verify_password(accounts: dict[str, str], name: str, password: str) -> bool:
    """Constant-time check of one reviewer's password (False for unknown names)."""
    stored = accounts.get(name)
    if stored is None:
        # spend the same time as a real check so names cannot be probed by timing
        check_password_hash(generate_password_hash("x"), password)
        return False
    return check_password_hash(stored, password)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
