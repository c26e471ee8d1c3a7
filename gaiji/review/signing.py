"""Signatures on the audit trail: every event's hash is signed with the desk's Ed25519 key.

The hash chain alone shows that rows were edited *naively*; anyone with the file can
recompute every hash after a change. A signature needs the desk's private key, which is kept
**outside the set** — per desk installation, by default
``$XDG_CONFIG_HOME/gaiji/review-signing-key.pem`` (``~/.config/…``), or the file named by
``$GAIJI_REVIEW_KEY`` / ``--signing-key``. It is created (mode 0600) the first time the desk
writes. Copying a set to another machine keeps it verifiable there with the public key
(``gaiji review log SET --verify --trust-key KEYID:PUBLICHEX``, printed by ``review key``).

The set stores the public keys its events were signed with (table ``signing_keys``) so
signatures can be checked anywhere, but a forger can put their own key there too: a key is
*trusted* only when it is the verifying machine's desk key or given explicitly.

>>> import tempfile, pathlib
>>> key = DeskKey.load_or_create(pathlib.Path(tempfile.mkdtemp()) / "k.pem")
>>> sig = key.sign("ab" * 32)
>>> verify_signature(key.public_hex, "ab" * 32, sig), verify_signature(key.public_hex, "cd" * 32, sig)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gaiji.errors import GaijiError

KEY_ENV = "GAIJI_REVIEW_KEY"
KEY_FILE = "review-signing-key.pem"
SIG_PREFIX = "ed25519"


class SigningKeyError(GaijiError):
    """The desk's signing key cannot be read or created."""


def default_key_path() -> Path:
    """``$GAIJI_REVIEW_KEY``, else ``$XDG_CONFIG_HOME/gaiji/review-signing-key.pem``."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "gaiji" / KEY_FILE


def key_id_of(public_hex: str) -> str:
    """A short, stable name for a public key (16 hex digits of its SHA-256)."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


@dataclass(frozen=True)
class DeskKey:
    """The private key of one desk installation."""

    path: Path
    private: Ed25519PrivateKey

    @classmethod
    def load(cls, path: Path) -> DeskKey:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"{path}: cannot read the desk's signing key ({exc.strerror})") from exc
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{path}: not a PEM Ed25519 private key ({exc}); point "
                                  f"${KEY_ENV} at the desk's key file") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path}: holds a {type(key).__name__}, not an Ed25519 key")
        return cls(path, key)

    @classmethod
    def load_or_create(cls, path: Path | None = None) -> DeskKey:
        """The key at *path* (default :func:`default_key_path`), created on first use."""
        path = Path(path) if path else default_key_path()
        if path.is_file():
            return cls.load(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls.load(path)  # another process created it meanwhile
        except OSError as exc:
            raise SigningKeyError(f"{path}: cannot create the desk's signing key ({exc.strerror}); "
                                  f"set ${KEY_ENV} to a writable place outside the set") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        return cls(path, key)

    @property
    def public_hex(self) -> str:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return raw.hex()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_hex)

    def sign(self, event_hash: str) -> str:
        """``ed25519:KEYID:BASE64`` over the event's hash (which covers the whole chain before it)."""
        sig = base64.b64encode(self.private.sign(event_hash.encode("ascii"))).decode("ascii")
        return f"{SIG_PREFIX}:{self.key_id}:{sig}"


def local_public_key(path: Path | None = None) -> str | None:
    """This machine's desk public key (hex), or None when it has none — never creates one."""
    path = Path(path) if path else default_key_path()
    return DeskKey.load(path).public_hex if path.is_file() else None


def split_signature(sig: str | None) -> tuple[str, str] | None:
    """``(key_id, base64)`` of a stored signature, or None when it is missing or malformed."""
    parts = (sig or "").split(":")
    if len(parts) != 3 or parts[0] != SIG_PREFIX:
        return None
    return parts[1], parts[2]


def verify_signature(public_hex: str, event_hash: str, sig: str) -> bool:
    parts = split_signature(sig)
    if parts is None or parts[0] != key_id_of(public_hex):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            base64.b64decode(parts[1], validate=True), event_hash.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True


def parse_trusted_key(text: str) -> str:
    """``KEYID:PUBLICHEX`` or ``PUBLICHEX`` (64 hex digits) → public hex, checking the id."""
    key_id, _, public = text.strip().rpartition(":")
    try:
        if len(public) != 64:
            raise ValueError
        bytes.fromhex(public)
    except ValueError:
        raise SigningKeyError(f"{text!r} is not a public key: expected KEYID:PUBLICHEX as printed by "
                              "`gaiji review key`") from None
    if key_id and key_id != key_id_of(public):
        raise SigningKeyError(f"{text!r}: key id {key_id} does not belong to that public key")
    return public.lower()
