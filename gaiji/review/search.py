"""The desk's search: what a reviewer types, read the way they mean it, ranked, counted, paged.

On top of :meth:`gaiji.reference.Reference.search` it adds:

* **reading + radical**: ``えん 氵``, ``エン 水``, ``えん 85`` or ``えん 氵+8`` — characters
  with that reading whose radical is that one (and, with ``+N``, N inner strokes);
* **numbers said plainly**: a bare 6-digit number could be an MJ number or a
  戸籍統一文字番号, so both are looked up and every hit says which it matched (``mj`` /
  ``koseki``); ``MJ025760``, ``戸籍:025760`` / ``koseki:025760`` and ``住基:J+8FBB`` /
  ``J+8FBB`` say it outright;
* **ranking**: likely characters first — searching for a gaiji, the matcher's candidates for
  it, then characters with one of its readings — then everyday characters: JIS X 0208 level 1
  (JIS X 0213 1-16…1-47), level 2, the rest of plane 1, plane 2, characters outside JIS X
  0213; within each, the plain glyph before its variants; otherwise the reference's order;
* **counts and pages**: the total is counted (up to :data:`MAX_RESULTS`) and one page returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gaiji.readings import is_kana_query, normalize_reading, split_readings

PAGE_SIZE = 24
MAX_RESULTS = 3000
_RADICAL_TERM = re.compile(r"^(?:部首[:：])?(\S+?)(?:\s*\+\s*(\d{1,2}))?$")
_KOSEKI = re.compile(r"^(?:戸籍|koseki)\s*[:：]\s*(\d{6})$", re.IGNORECASE)
_JUKI = re.compile(r"^(?:(?:住基|juki)\s*[:：]\s*)?(J\+[0-9A-Fa-f]{4})$", re.IGNORECASE)
_MJ_DIGITS = re.compile(r"^(?:MJ|mj)\s*[:：]?\s*(\d{6})$")


@dataclass
class SearchPage:
    query: str
    total: int
    page: int
    pages: int
    hits: list[tuple[Any, str]] = field(default_factory=list)  # (MJRecord, matched as)
    note: str = ""  # how the query was read, e.g. "reading エン + radical 85"
    read_as: dict[str, str] = field(default_factory=dict)  # the same, as data: {"kind": …, …}
    truncated: bool = False


def everyday_rank(record: Any) -> tuple[int, int]:
    """Sort key putting everyday characters first (see module doc).

    >>> class R:  # a stand-in with the two fields the key reads
    ...     def __init__(self, x0213, ivs=""): self.x0213, self.ivs = x0213, ivs
    >>> sorted(["2-03-65", "", "1-48-80", "1-18-22"], key=lambda x: everyday_rank(R(x)))
    ['1-18-22', '1-48-80', '2-03-65', '']
    """
    code = getattr(record, "x0213", "") or ""
    variant = 0 if getattr(record, "implemented_ucs", False) or not getattr(record, "ivs", "") else 1
    m = re.match(r"^(\d)-(\d{2})-(\d{2})$", code)
    if not m:
        return (5, variant)
    plane, row = int(m.group(1)), int(m.group(2))
    if plane == 1 and 16 <= row <= 47:
        return (0, variant)
    if plane == 1 and 48 <= row <= 84:
        return (1, variant)
    return (2 if plane == 1 else 3, variant)


def _radical_filter(reference: Any, term: str) -> tuple[int, int | None] | None:
    m = _RADICAL_TERM.match(term)
    if not m:
        return None
    try:
        number = reference.radical_number(m.group(1))
    except ValueError:
        return None
    return number, (int(m.group(2)) if m.group(2) else None)


def _interpret(reference: Any, query: str) -> tuple[list[tuple[Any, str]], dict[str, str]]:
    q = query.strip()
    terms = q.split()
    # reading + radical
    if len(terms) == 2:
        kana = [t for t in terms if is_kana_query(t)]
        other = [t for t in terms if not is_kana_query(t)]
        if len(kana) == 1 and len(other) == 1:
            radical = _radical_filter(reference, other[0])
            if radical is not None:
                number, inner = radical
                hits = [r for r in reference.by_reading(kana[0], limit=MAX_RESULTS)
                        if any(rn == number and (inner is None or i == inner) for rn, i in r.radicals)]
                hits.sort(key=everyday_rank)
                what = f"{number}" + (f"+{inner}" if inner is not None else "")
                return [(r, "reading+radical") for r in hits], {"kind": "reading+radical", "reading": kana[0],
                                                                  "radical": what}
    if m := _MJ_DIGITS.match(q):
        return [(r, "mj") for r in reference.search(f"MJ{m.group(1)}", limit=1)], {"kind": "mj", "number": f"MJ{m.group(1)}"}
    if m := _KOSEKI.match(q):
        return [(r, "koseki") for r in reference.search(m.group(1), limit=MAX_RESULTS)
                if r.koseki == m.group(1)], {"kind": "koseki", "number": m.group(1)}
    if m := _JUKI.match(q):
        code = m.group(1).upper()
        return [(r, "juki") for r in reference.search(code, limit=MAX_RESULTS)], {"kind": "juki", "number": code}
    if re.fullmatch(r"\d{6}", q):
        # ambiguous: an MJ number written without "MJ", or a 戸籍統一文字番号 — show both, labelled
        as_mj = [(r, "mj") for r in reference.search(f"MJ{q}", limit=1)]
        as_koseki = [(r, "koseki") for r in reference.search(q, limit=MAX_RESULTS) if r.koseki == q]
        as_touki = [(r, "touki") for r in reference.search(q, limit=MAX_RESULTS)
                    if r.koseki != q and r.touki.endswith(q)]
        return as_mj + as_koseki + as_touki, {"kind": "mj-or-koseki", "number": q}
    records = reference.search(q, limit=MAX_RESULTS)
    if is_kana_query(q):
        records = sorted(records, key=everyday_rank)
        return [(r, "reading") for r in records], {"kind": "reading", "reading": q}
    return [(r, "") for r in records], {}


def desk_search(
    reference: Any,
    query: str,
    *,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    likely_mjs: tuple[str, ...] | list[str] = (),
    likely_readings: str = "",
) -> SearchPage:
    """One page of results for *query* (see module doc); ``ValueError`` for a bad query.
    *likely_mjs* (the gaiji's candidates) and *likely_readings* (its reading cell) rank first."""
    hits, read_as = _interpret(reference, query)
    wanted = {normalize_reading(r) for r in split_readings(likely_readings)} - {""}
    if likely_mjs or wanted:
        candidates = set(likely_mjs)

        def likely(hit: tuple[Any, str]) -> int:
            record = hit[0]
            if record.mj in candidates:
                return 0
            if wanted and wanted & {normalize_reading(r) for r in record.readings}:
                return 1
            return 2

        hits.sort(key=likely)  # stable: everyday-first order kept within each group
    total = len(hits)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    start = (page - 1) * page_size
    return SearchPage(query=query.strip(), total=total, page=page, pages=pages,
                      hits=hits[start:start + page_size], note=describe(read_as), read_as=read_as,
                      truncated=total >= MAX_RESULTS)


def describe(read_as: dict[str, str]) -> str:
    """How a query was read, in words (English; the page words it in its own language).

    >>> describe({"kind": "reading+radical", "reading": "えん", "radical": "85"})
    'reading えん + radical 85'
    """
    kind = read_as.get("kind", "")
    return {
        "reading+radical": f"reading {read_as.get('reading')} + radical {read_as.get('radical')}",
        "reading": f"reading {read_as.get('reading')}",
        "mj": f"MJ number {read_as.get('number')}",
        "koseki": f"戸籍統一文字番号 {read_as.get('number')}",
        "juki": f"住基ネット統一文字コード {read_as.get('number')}",
        "mj-or-koseki": f"MJ{read_as.get('number')} or 戸籍統一文字番号 {read_as.get('number')}",
    }.get(kind, "")
