"""The corpus folder and its registry: which gaiji sets belong to which municipality.

A corpus is a folder holding ``corpus.json`` — one entry per registered gaiji set: a short
``name`` (unique in the corpus), the set's ``path`` (relative to the corpus when inside it),
the ``municipality`` (name) and its ``code`` (全国地方公共団体コード, 6 digits with the check
digit, or the 5-digit form), and the ``vendor`` whose system the set came from. Everything the
corpus stages compute lives under ``tables/`` (Parquet), ``work/`` (resumable partial results)
and ``candidates/`` (one candidates CSV per set, the same contract as ``gaiji match``).
Images stay in their sets.

>>> import tempfile, pathlib
>>> c = pathlib.Path(tempfile.mkdtemp()) / "corpus"
>>> municipality_code("131016"), municipality_code("13101")
('131016', '13101')
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from gaiji.errors import ContractError, InputError
from gaiji.fsutil import atomic_write

REGISTRY = "corpus.json"
FORMAT = "1"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class SetEntry:
    """One registered gaiji set."""

    name: str
    path: str  # as stored: relative to the corpus folder when inside it
    municipality: str
    code: str  # 全国地方公共団体コード
    vendor: str = ""

    def set_dir(self, corpus: Path) -> Path:
        p = Path(self.path)
        return p if p.is_absolute() else corpus / p


def municipality_code(code: str) -> str:
    """Check a 全国地方公共団体コード: 5 digits, or 6 with the check digit (verified)."""
    code = (code or "").strip()
    if not re.fullmatch(r"\d{5}|\d{6}", code):
        raise InputError(
            f"municipality code {code!r}: give the 全国地方公共団体コード, 5 digits or 6 with "
            "the check digit (e.g. 131016 for 千代田区)"
        )
    if len(code) == 6:
        weights = (6, 5, 4, 3, 2)
        rest = sum(int(d) * w for d, w in zip(code[:5], weights)) % 11
        check = (11 - rest) % 10 if rest else 0
        if int(code[5]) != check:
            raise InputError(
                f"municipality code {code}: the check digit should be {check} ({code[:5]}{check}); "
                "or give the 5-digit code"
            )
    return code


def check_digit_code(five: str) -> str:
    """The 6-digit form of a 5-digit code (appends the check digit).

    >>> check_digit_code("13101")
    '131016'
    """
    rest = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2))) % 11
    return five + str((11 - rest) % 10 if rest else 0)


def read_registry(corpus: str | Path) -> list[SetEntry]:
    """The registered sets of a corpus folder (a clear error if it is not one)."""
    root = Path(corpus)
    path = root / REGISTRY
    if not path.is_file():
        raise ContractError(
            f"{root}: not a gaiji corpus (no {REGISTRY}); register sets with "
            f"`gaiji corpus add {root} SET… --municipality NAME --code CODE`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [SetEntry(**e) for e in data["sets"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ContractError(f"{path}: unreadable corpus registry ({exc}); restore it from a copy") from exc


def write_registry(corpus: str | Path, entries: list[SetEntry]) -> Path:
    path = Path(corpus) / REGISTRY
    with atomic_write(path) as out:
        json.dump({"format": FORMAT, "sets": [asdict(e) for e in entries]}, out, ensure_ascii=False, indent=1)
        out.write("\n")
    return path


def add_sets(
    corpus: str | Path,
    set_dirs: list[str | Path],
    *,
    municipality: str,
    code: str,
    vendor: str = "",
    names: list[str] | None = None,
) -> list[SetEntry]:
    """Register gaiji sets (folders written by ``gaiji extract``) under one municipality.

    Re-adding a set already registered under the same name updates its entry; a name used by
    another set is refused. Returns the new entries.
    """
    from gaiji.extract.gaijiset import require_gaiji_set

    root = Path(corpus)
    root.mkdir(parents=True, exist_ok=True)
    entries = read_registry(root) if (root / REGISTRY).is_file() else []
    by_name = {e.name: e for e in entries}
    code = municipality_code(code)
    if not municipality.strip():
        raise InputError("--municipality is empty: give the municipality's name (e.g. 千代田区)")
    added: list[SetEntry] = []
    for i, set_dir in enumerate(set_dirs):
        sd = require_gaiji_set(set_dir).resolve()
        name = names[i] if names else sd.name
        if not _NAME.match(name):
            raise InputError(f"set name {name!r}: use letters, digits, '.', '_' or '-' (at most 80)")
        try:
            stored = str(sd.relative_to(root.resolve()))
        except ValueError:
            stored = str(sd)
        entry = SetEntry(name=name, path=stored, municipality=municipality.strip(), code=code, vendor=vendor)
        old = by_name.get(name)
        if old is not None and old.set_dir(root).resolve() != sd:
            raise InputError(
                f"set name {name!r} is already registered for {old.set_dir(root)}; rename the set folder"
            )
        by_name[name] = entry
        added.append(entry)
    write_registry(root, sorted(by_name.values(), key=lambda e: (e.code, e.name)))
    return added
