"""Turn the SOURCE arguments into a list of sources to read.

A file is one source, recognised by content (:mod:`gaiji.extract.detect`). A folder is
walked (sorted, hidden files skipped): its images together form one image-folder source;
each font, bitmap font and ``.csv``/``.tsv`` ledger in it is a source of its own; anything
else is skipped with a warning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gaiji.errors import InputError
from gaiji.extract import detect

IMAGE_FOLDER = "images"


@dataclass
class Source:
    path: Path
    kind: str  # font | bdf | pcf | images | ledger
    files: list[Path] = field(default_factory=list)  # image files, for kind == images
    error: str = ""


def safe_resolve(path: Path) -> Path:
    """``path.resolve()`` that never raises: a symlink loop resolves as far as it can."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _walk(folder: Path, exclude: Path | None) -> tuple[list[Path], list[Source]]:
    """(files, failed): every non-hidden file under *folder*, sorted, following symbolic
    links to folders once; a folder that cannot be listed and a link that loops or leads
    nowhere come back as failed sources — never skipped silently."""
    out: list[Path] = []
    failed: list[Source] = []
    excluded = safe_resolve(exclude) if exclude is not None else None
    seen_dirs: set[str] = set()

    def refused(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else folder
        failed.append(Source(where, "unknown", error=(
            f"{where}: the folder cannot be read ({exc.strerror}); check its permissions")))

    for root, dirs, files in os.walk(folder, onerror=refused, followlinks=True):
        here = Path(root)
        real = os.path.realpath(root)
        if real in seen_dirs:  # a link back up the tree: its contents were read already
            dirs[:] = []
            continue
        seen_dirs.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            p = here / name
            if excluded is not None and safe_resolve(p).is_relative_to(excluded):
                continue  # the set being written (or an earlier run of it) is not a source
            out.append(p)
    return sorted(out), failed


def collect_sources(
    paths: list[Path], *, exclude: Path | None = None
) -> tuple[list[Source], list[str]]:
    """(sources, warnings). A source that cannot even be recognised comes back with
    ``error`` set, so the caller reports it and carries on with the rest. Files under
    *exclude* (the output folder) are never sources."""
    sources: list[Source] = []
    warnings: list[str] = []
    for path in paths:
        try:
            kind = detect.sniff(path)
        except InputError as exc:
            sources.append(Source(path, "unknown", error=str(exc)))
            continue
        if kind == detect.IMAGE:
            sources.append(Source(path, IMAGE_FOLDER, files=[path]))
        elif kind != detect.FOLDER:
            sources.append(Source(path, kind))
        else:
            sources.extend(_folder_sources(path, warnings, exclude))
    return sources, warnings


def _folder_sources(folder: Path, warnings: list[str], exclude: Path | None) -> list[Source]:
    images: list[Path] = []
    files, failed = _walk(folder, exclude)
    others: list[Source] = list(failed)
    for p in files:
        try:
            kind = detect.sniff(p)
        except detect.Unreadable as exc:
            others.append(Source(p, "unknown", error=str(exc)))
            continue
        except InputError:
            warnings.append(f"{p}: not a recognised source; skipped")
            continue
        if kind == detect.FOLDER:
            continue  # os.walk lists a link to a folder among the folders already
        if kind == detect.IMAGE:
            images.append(p)
        elif kind == detect.LEDGER:
            if p.suffix.lower() in (".csv", ".tsv"):
                others.append(Source(p, kind))
            else:
                warnings.append(
                    f"{p}: a text file, not a .csv ledger; skipped (name it on the command line to read it as a ledger)"
                )
        else:
            others.append(Source(p, kind))
    out = [Source(folder, IMAGE_FOLDER, files=images)] if images else []
    out.extend(others)
    if not out:
        return [
            Source(
                folder,
                IMAGE_FOLDER,
                error=f"{folder}: the folder holds no images, fonts or ledgers; nothing to extract",
            )
        ]
    return out
