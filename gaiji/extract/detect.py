"""Recognise a source by its content (magic bytes), not only by its extension.

Kinds: ``font`` (TrueType/OpenType/EUDC.TTE, collections), ``bdf``, ``pcf`` (either may be
gzipped), ``image`` (PNG/BMP/GIF/TIFF/JPEG), ``ledger`` (a CSV text file), ``folder``.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from gaiji.errors import InputError

FONT, BDF, PCF, IMAGE, LEDGER, FOLDER = "font", "bdf", "pcf", "image", "ledger", "folder"

_SFNT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf", b"typ1")
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"BM",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"\xff\xd8\xff",
)
_TEXT_EXTENSIONS = {".csv", ".tsv", ".txt"}


class Unreadable(InputError):
    """The source exists but cannot be read at all (permissions, a symlink loop, an I/O
    error): always reported as a failed source, never skipped as "not a source"."""


def sniff_bytes(head: bytes) -> str | None:
    """Kind of a file from its first bytes, or ``None`` if not recognised.

    >>> sniff_bytes(b'STARTFONT 2.1\\n'), sniff_bytes(b'\\x01fcp\\x08'), sniff_bytes(b'OTTO\\x00')
    ('bdf', 'pcf', 'font')
    >>> sniff_bytes(b'\\x89PNG\\r\\n\\x1a\\n...'), sniff_bytes(b'hello')
    ('image', None)
    """
    if head[:4] in _SFNT_MAGIC:
        return FONT
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"STARTFONT"):
        return BDF
    if head.startswith(b"\x01fcp"):
        return PCF
    if any(head.startswith(m) for m in _IMAGE_MAGIC):
        return IMAGE
    return None


def _gunzip_head(path: Path, size: int = 64) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, size)
    except zlib.error as exc:
        raise InputError(
            f"{path}: a damaged gzip file ({exc}); re-copy it from the source system"
        ) from exc


def read_maybe_gzipped(path: Path) -> bytes:
    """The file's bytes, gunzipped if it is gzip (``.pcf.gz``, ``.bdf.gz``)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(
                f"{path}: a damaged gzip file ({exc}); re-copy it from the source system"
            ) from exc
    return data


def sniff(path: str | Path) -> str:
    """Kind of the source at *path*; raises :class:`InputError` when it is none we read."""
    p = Path(path)
    if p.is_dir():
        return FOLDER
    if not p.exists():
        if p.is_symlink():
            raise Unreadable(
                f"{p}: a symbolic link that leads nowhere (a loop, or its target is gone); fix or remove the link"
            )
        raise InputError(f"{p}: no such file or folder")
    try:
        with open(p, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise Unreadable(
            f"{p}: cannot be read ({exc.strerror}); check the path and permissions"
        ) from exc
    if not head:
        raise InputError(f"{p}: the file is empty; nothing to extract")
    kind = sniff_bytes(head)
    if kind is None and head[:2] == b"\x1f\x8b":
        inner = sniff_bytes(_gunzip_head(p))
        if inner in (BDF, PCF):
            return inner
        raise InputError(f"{p}: a gzip file that holds neither a BDF nor a PCF font")
    if kind is not None:
        return kind
    if p.suffix.lower() in _TEXT_EXTENSIONS or _looks_like_text(head):
        return LEDGER
    raise InputError(
        f"{p}: not a recognised source (expected a TrueType/OpenType/EUDC font, BDF/PCF, "
        f"PNG/BMP/GIF/TIFF image or a ledger CSV)"
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for enc in ("utf-8", "cp932"):
        try:
            head.decode(enc)
            return True
        except UnicodeDecodeError:
            # the 64-byte window may cut a multi-byte character
            try:
                head[:-1].decode(enc)
                return True
            except UnicodeDecodeError:
                continue
    return False
