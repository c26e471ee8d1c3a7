"""Atomic file output: write beside the target, fsync, then rename.

A crash or a full disk leaves either the old file or nothing — never a half-written one
that a later stage would trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from gaiji.errors import OutputError

log = logging.getLogger(__name__)


_TEMP_MARK = "gaiji-"


def _temp_prefix(target: Path, pid: int | None = None) -> str:
    """Temporary names carry the writing process's id (``.out.csv.gaiji-1234-…tmp``), so a
    later run can tell the leftovers of a killed run from the work of a live one."""
    return f".{target.name}.{_TEMP_MARK}{os.getpid() if pid is None else pid}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    except OSError:
        return True
    return True


def stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Temporary files and folders beside *target* left by a run of gaiji that was killed
    (SIGKILL, SIGTERM, power loss) before it could rename or remove them: their writer's
    process id no longer runs. The temporaries of live processes are never listed."""
    target = Path(target)
    pattern = re.compile(re.escape(f".{target.name}.{_TEMP_MARK}") + r"(\d+)-.*\.tmp$")
    found = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return []
    for p in siblings:
        m = pattern.match(p.name)
        if m and not _pid_alive(int(m.group(1))):
            found.append(p)
    old = target.with_name(f".{target.name}.old")  # a swap of atomic_directory cut short
    if old.exists() and target.exists():
        found.append(old)
    return sorted(found)


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Remove what :func:`stale_temporaries` finds; returns what was removed (logged)."""
    removed = []
    for p in stale_temporaries(target):
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except OSError as exc:
            log.warning("could not remove %s left by an interrupted run: %s", p, exc)
            continue
        log.warning("removed %s, left by an interrupted run", p)
        removed.append(p)
    return removed


def _temp_beside(target: Path, make: Any) -> str:
    """Create the parent folder and a temporary file or folder beside *target* (``make`` is
    :func:`tempfile.mkstemp` or :func:`tempfile.mkdtemp`); an OS refusal becomes an
    :class:`OutputError` that names the path. Leftovers of an interrupted earlier run for the
    same target are removed first."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: its folder {target.parent} cannot be created "
            f"({exc.strerror or exc}: {exc.filename}); choose an output path in a folder you can write to"
        ) from exc
    remove_stale_temporaries(target)
    try:
        return make(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: {target.parent} does not accept new files ({exc.strerror or exc}); "
            f"choose an output path in a folder you can write to"
        ) from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file next to *path*; on success rename it over *path*.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(d / "x.txt") as f:
    ...     _ = f.write("hello")
    >>> (d / "x.txt").read_text()
    'hello'
    """
    target = Path(path)
    if "b" not in mode:
        open_kwargs.setdefault("encoding", "utf-8")
        open_kwargs.setdefault("newline", "")
    fd, tmp = _temp_beside(target, tempfile.mkstemp)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a directory under a temporary name, then swap it into place.

    The previous directory (if any) is replaced only once the new one is complete.
    """
    target = Path(path)
    tmp = Path(_temp_beside(target, tempfile.mkdtemp))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
