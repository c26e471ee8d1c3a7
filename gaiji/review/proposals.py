"""Corpus proposals shown at the desk: what other municipalities decided for the same glyph.

The file is ``CORPUS/proposals/<set>.csv`` written by ``gaiji corpus propose``: per gaiji a
``proposal`` (an MJ with its basis — "same glyph as 12 gaiji in 9 municipalities, decided
MJ025761 by …") or a ``conflict`` (the same glyph was decided differently elsewhere). The desk
shows them as evidence; a reviewer still decides, nothing is recorded from them.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from gaiji.errors import ContractError

NEEDED = ("kind", "gaiji_id", "mj", "char", "basis")


def load_proposals(path: str | Path) -> dict[str, dict[str, Any]]:
    """gaiji_id → {kind, mj, char, basis, group_id, decision} from a corpus proposals CSV
    (``decision``: the MJ number, an added set's ``SET:ID`` or 該当なし; files written before
    the column existed give the MJ number)."""
    p = Path(path)
    try:
        with open(p, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in NEEDED if c not in (reader.fieldnames or [])]
            if missing:
                raise ContractError(
                    f"{p}: not a corpus proposals file (missing {', '.join(missing)}); "
                    "give CORPUS/proposals/<set>.csv written by `gaiji corpus propose`"
                )
            return {
                r["gaiji_id"]: {**{k: r.get(k) or "" for k in ("kind", "mj", "char", "basis", "group_id")},
                                "decision": r.get("decision") or r.get("mj") or ""}
                for r in reader
            }
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{p}: cannot read the proposals file ({exc})") from exc
