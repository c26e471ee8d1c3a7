"""A witness file outside the set: every event's chain head, appended as it is written.

Signatures stop a forger from *changing* events, but not from putting back an older copy of
``review.sqlite`` or cutting events off the end (the head row can be set back too). What
catches those is a head kept somewhere the forger cannot reach: the signed paper (the
contact sheet prints the head on every page), every exported mapping table
(``review_chain_head``), and this file — one line per event, appended and fsync'ed by the
desk when the administrator names it (``serve --witness FILE`` or ``$GAIJI_REVIEW_WITNESS``):

    2026-11-30T17:02:11.120Z <TAB> set id <TAB> seq <TAB> sha256 <TAB> set folder

Put it where reviewers' file access does not reach (another disk, a share only the
administrator writes, a log host). ``gaiji review log SET --verify --witness FILE`` (and
``export --witness``) refuse a record that lacks, or differs at, any witnessed event.

>>> import tempfile, pathlib
>>> w = pathlib.Path(tempfile.mkdtemp()) / "w.log"
>>> append_witness(w, "s1", pathlib.Path("/x"), 1, "ab" * 32, "t")
>>> check_witness(read_witness(w), "s1", pathlib.Path("/x"), {1: "ab" * 32})
[]
>>> check_witness(read_witness(w), "s1", pathlib.Path("/x"), {})[0][:36]
'event 1 was witnessed (head abababab'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gaiji.errors import GaijiError

WITNESS_ENV = "GAIJI_REVIEW_WITNESS"


class WitnessError(GaijiError):
    """The witness file cannot be written or read."""


@dataclass(frozen=True)
class Witnessed:
    at: str
    set_id: str
    seq: int
    hash: str
    set_path: str


def default_witness_path() -> Path | None:
    env = os.environ.get(WITNESS_ENV)
    return Path(env).expanduser() if env else None


def append_witness(path: Path, set_id: str, set_dir: Path, seq: int, digest: str, at: str) -> None:
    """Append one line with O_APPEND (one write: lines of concurrent writers never mix) and fsync."""
    line = f"{at}\t{set_id}\t{seq}\t{digest}\t{Path(set_dir).resolve()}\n".encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise WitnessError(f"{path}: cannot append to the witness file ({exc.strerror})") from exc


def read_witness(path: Path) -> list[Witnessed]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WitnessError(f"{path}: no such witness file; name the file the desk appended to "
                           f"(serve --witness / ${WITNESS_ENV})") from None
    except OSError as exc:
        raise WitnessError(f"{path}: cannot read the witness file ({exc.strerror})") from exc
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 5 or not parts[2].isdigit() or len(parts[3]) != 64:
            raise WitnessError(f"{path}:{number}: not a witness line (time, set id, seq, hash, folder)")
        out.append(Witnessed(parts[0], parts[1], int(parts[2]), parts[3], parts[4]))
    return out


def check_witness(entries: list[Witnessed], set_id: str, set_dir: Path, hash_by_seq: dict[int, str]) -> list[str]:
    """Problems between the witnessed heads of this set and the record's events."""
    mine = [e for e in entries if e.set_id == set_id]
    if not mine:
        folder = str(Path(set_dir).resolve())
        others = sorted({e.set_id for e in entries if e.set_path == folder})
        if others:
            return [(f"the witness file knows this folder as set {', '.join(others)} but the record says "
                     f"{set_id}: the review record was replaced")]
        return [f"the witness file has no entry for this set ({set_id}); is it the right file?"]
    problems = []
    for e in mine:
        actual = hash_by_seq.get(e.seq)
        if actual != e.hash:
            what = "is missing" if actual is None else "differs"
            problems.append(f"event {e.seq} was witnessed (head {e.hash[:16]}… at {e.at}) but {what} in "
                            "the record: events were removed or the record was rolled back or rewritten")
    return problems
