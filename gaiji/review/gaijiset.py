"""Read what the review desk shows: the gaiji set (``glyphs.csv`` + ``glyphs/``) and the
match stage's candidates CSV (see DESIGN.md, "Contract: gaiji set" and "candidates CSV")."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaiji.errors import ContractError

CANDIDATE_COLUMNS = ("gaiji_id", "rank", "mj", "ucs", "ivs", "char", "score", "confidence", "auto_accept")
MATCH_V2_COLUMNS = ("no_match", "ucs_confidence", "ref_set", "ref_id")  # additive (match v2); absent in older sets
NOT_EVIDENCE = (*CANDIDATE_COLUMNS, *MATCH_V2_COLUMNS, "reference_version")


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _int(value: str | None) -> int:
    try:
        return int(float(value)) if value not in (None, "") else 0
    except ValueError:
        return 0


@dataclass
class Candidate:
    """One candidates-CSV row; ``evidence`` holds every column beyond the contract's own."""

    rank: int
    mj: str
    ucs: str
    ivs: str
    char: str
    score: float | None
    confidence: float | None
    auto_accept: bool
    evidence: dict[str, str] = field(default_factory=dict)
    no_match: float | None = None  # probability no reference glyph is the same character
    ucs_confidence: float | None = None  # confidence in the character regardless of variant
    ref_set: str = "MJ"  # MJ, or the added reference set the candidate is in (mj is then empty)
    ref_id: str = ""  # the MJ number, or the set's own identifier

    @property
    def in_added_set(self) -> bool:
        return self.ref_set not in ("", "MJ")

    def as_row(self) -> dict[str, Any]:
        if self.in_added_set:
            return {"rank": self.rank, "mj": "", "ref_set": self.ref_set, "ref_id": self.ref_id, "ucs": self.ucs,
                    "ivs": self.ivs, "char": self.char, "score": self.score, "confidence": self.confidence,
                    "auto_accept": "0"}
        return {
            "rank": self.rank,
            "mj": self.mj,
            "ucs": self.ucs,
            "ivs": self.ivs,
            "char": self.char,
            "score": self.score,
            "confidence": self.confidence,
            "auto_accept": "1" if self.auto_accept else "0",
        }


@dataclass
class Glyph:
    """One gaiji of the set, with its candidates best first."""

    gaiji_id: str
    source: str
    code: str
    width: int
    height: int
    reading: str
    usage_count: int
    note: str
    image: str
    order: int
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def confidence(self) -> float | None:
        """The rank-1 candidate's calibrated confidence (None without candidates)."""
        return self.candidates[0].confidence if self.candidates else None


def _open_csv(path: Path, required: tuple[str, ...], what: str) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ContractError(
                    f"{path}: {what} lacks column(s) {', '.join(missing)}; "
                    "regenerate it with the gaiji pipeline (see DESIGN.md for the contract)"
                )
            return list(reader)
    except UnicodeDecodeError as exc:
        raise ContractError(f"{path}: not UTF-8 ({exc}); save it as UTF-8") from exc


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError as exc:
                raise ContractError(f"{path}:{number}: not a JSON object ({exc}); regenerate it with `gaiji match`") from exc
            if not isinstance(data, dict) or "gaiji_id" not in data or "mj" not in data:
                raise ContractError(f"{path}:{number}: a candidate needs gaiji_id and mj")
            rows.append({k: "" if v is None else str(v) for k, v in data.items()})
    return rows


def load_glyphs(set_dir: Path, candidates_path: Path | None = None) -> dict[str, Glyph]:
    """The set's gaiji keyed by id (file order kept), with candidates attached.

    *candidates_path* (CSV, or JSON Lines by its ``.jsonl`` suffix) defaults to
    ``SET/candidates.csv``; when that default is absent the gaiji are shown without
    candidates (search still works).
    """
    from gaiji.extract.gaijiset import read_gaiji_set  # the one reader of the set contract

    glyphs: dict[str, Glyph] = {}
    for order, rec in enumerate(read_gaiji_set(set_dir).records):
        glyphs[rec.gaiji_id] = Glyph(
            gaiji_id=rec.gaiji_id,
            source=rec.source,
            code=rec.code,
            width=rec.width,
            height=rec.height,
            reading=rec.reading,
            usage_count=rec.usage_count or 0,
            note=rec.note,
            image=rec.image,
            order=order,
        )
    path = candidates_path or set_dir / "candidates.csv"
    if candidates_path is not None and not path.is_file():
        raise ContractError(f"{path}: no such candidates file; run `gaiji match` first")
    if path.is_file():
        rows = (_read_jsonl(path) if path.suffix.lower() == ".jsonl"
                else _open_csv(path, CANDIDATE_COLUMNS[:3], "the candidates CSV"))
        for row in rows:
            glyph = glyphs.get(row["gaiji_id"])
            if glyph is None:
                continue
            glyph.candidates.append(
                Candidate(
                    rank=_int(row.get("rank")),
                    mj=row.get("mj", ""),
                    ucs=row.get("ucs", "") or "",
                    ivs=row.get("ivs", "") or "",
                    char=row.get("char", "") or "",
                    score=_float(row.get("score")),
                    confidence=_float(row.get("confidence")),
                    auto_accept=(row.get("auto_accept") or "").strip() in ("1", "true", "True"),
                    evidence={k: v for k, v in row.items() if k and k not in NOT_EVIDENCE and v not in (None, "")},
                    no_match=_float(row.get("no_match")),
                    ucs_confidence=_float(row.get("ucs_confidence")),
                    ref_set=row.get("ref_set") or "MJ",
                    ref_id=row.get("ref_id") or row.get("mj", ""),
                )
            )
        for glyph in glyphs.values():
            glyph.candidates.sort(key=lambda c: c.rank)
    return glyphs
