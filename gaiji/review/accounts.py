"""Reviewer accounts and request-safety helpers for the review desk.

Accounts live beside the set in ``SET/reviewers.json``: name → salted password hash (from
:mod:`werkzeug.security`, never the password) and a role — ``reviewer`` (reviews) or
``administrator`` (also changes the set's settings, such as the two-person rule). They are
required whenever the desk listens on anything but the loopback interface; with accounts
present every reviewer signs in, even on loopback. Files written before roles existed read
as all reviewers.

The desk re-reads the file whenever it changes (:class:`AccountBook`), so a password reset,
a removed reviewer or a changed role takes effect on the running desk at once: sessions
carry a fingerprint of the password hash they signed in with and end when it no longer
matches.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from gaiji.errors import GaijiError
from gaiji.extract.gaijiset import require_gaiji_set
from gaiji.fsutil import atomic_write
from gaiji.review.names import name_problem

ACCOUNTS_FILE = "reviewers.json"
MIN_PASSWORD = 10
ROLES = ("reviewer", "administrator")
REVIEWER, ADMINISTRATOR = ROLES


class AccountError(GaijiError):
    """Reviewer accounts are missing or wrong."""


@dataclass(frozen=True)
class Account:
    name: str
    password_hash: str
    role: str = REVIEWER

    @property
    def fingerprint(self) -> str:
        """Changes whenever the password changes (sessions remember it, never the hash)."""
        return hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest()[:32]

    @property
    def is_admin(self) -> bool:
        return self.role == ADMINISTRATOR


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


def password_problem(password: str, name: str = "") -> str | None:
    """Why *password* is too weak (None when it is strong enough): at least
    :data:`MIN_PASSWORD` characters and rated at least 3 of 4 by zxcvbn (which knows common
    passwords, keyboard runs, dates and the reviewer's own name).

    >>> password_problem("12345678") is not None, password_problem("tsuji-ippon-ten-41") is None
    (True, True)
    """
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    from zxcvbn import zxcvbn  # password-strength estimator (common passwords, patterns)

    rating = zxcvbn(password[:100], user_inputs=[name, "gaiji", "review"] if name else ["gaiji", "review"])
    if rating["score"] < 3:
        hint = rating["feedback"].get("warning") or "it is easy to guess"
        return f"the password is too weak ({hint.rstrip('.')}); use several uncommon words"
    return None


def load_accounts(set_dir: Path) -> dict[str, Account]:
    """Reviewer name → account ({} when the set has no accounts file)."""
    path = set_dir / ACCOUNTS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        accounts = {}
        for k, v in data["reviewers"].items():
            role = str(v.get("role", REVIEWER))
            if role not in ROLES:
                raise ValueError(f"{k}: role {role!r} is not one of {', '.join(ROLES)}")
            accounts[str(k)] = Account(str(k), str(v["password"]), role)
        return accounts
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AccountError(f"{path}: not a reviewer accounts file ({exc}); recreate it with `gaiji review add-reviewer`") from exc


def _write_accounts(set_dir: Path, accounts: dict[str, Account]) -> None:
    path = set_dir / ACCOUNTS_FILE
    doc = {"reviewers": {a.name: {"password": a.password_hash, "role": a.role}
                         for a in sorted(accounts.values(), key=lambda a: a.name)}}
    with atomic_write(path) as handle:
        json.dump(doc, handle, ensure_ascii=False, indent=1)
    path.chmod(0o600)


def check_new_reviewer(set_dir: Path, name: str) -> None:
    """Raise the error :func:`add_reviewer` would raise for the folder or the name."""
    require_gaiji_set(set_dir)
    problem = name_problem(name)
    if problem:
        raise AccountError(f"{name!r} cannot be a reviewer name: {problem}")


def add_reviewer(set_dir: Path, name: str, password: str, *, role: str | None = None) -> Account:
    """Create a reviewer account, or reset its password (and role, when given). A running
    desk ends the reviewer's sessions on its next request."""
    check_new_reviewer(set_dir, name)
    problem = password_problem(password, name)
    if problem:
        raise AccountError(problem)
    if role is not None and role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    accounts = load_accounts(set_dir)
    old = accounts.get(name)
    account = Account(name, generate_password_hash(password), role or (old.role if old else REVIEWER))
    accounts[name] = account
    _write_accounts(set_dir, accounts)
    return account


def remove_reviewer(set_dir: Path, name: str) -> None:
    """Delete one reviewer's account (their decisions stay in the audit trail; a running
    desk ends their sessions on its next request)."""
    require_gaiji_set(set_dir)
    accounts = load_accounts(set_dir)
    if name not in accounts:
        known = ", ".join(sorted(accounts)) or "none"
        raise AccountError(f"{name!r} has no account on {set_dir} (accounts: {known})")
    del accounts[name]
    _write_accounts(set_dir, accounts)


def verify_password(accounts: dict[str, Account], name: str, password: str) -> bool:
    """Constant-time check of one reviewer's password (False for unknown names)."""
    account = accounts.get(name)
    if account is None:
        # spend the same time as a real check so names cannot be probed by timing
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(account.password_hash, password)


_DUMMY_HASH = generate_password_hash("not a password")


class AccountBook:
    """The set's accounts, re-read whenever ``reviewers.json`` changes on disk."""

    def __init__(self, set_dir: Path) -> None:
        self.path = set_dir / ACCOUNTS_FILE
        self.set_dir = set_dir
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._accounts: dict[str, Account] = {}
        self.current()

    def current(self) -> dict[str, Account]:
        try:
            st = os.stat(self.path)
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._accounts = load_accounts(self.set_dir) if stamp else {}
                self._stamp = stamp
            return self._accounts


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
