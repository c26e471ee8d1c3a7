"""Join ledger rows to glyph rows.

A ledger row joins on ``gaiji_id`` when it has one that names a glyph; otherwise on its
code. A code in ``U+XXXX`` form, or under a header naming UCS/Unicode, matches the glyph's
``code``; under a header naming Shift_JIS it matches ``sjis_code``; otherwise the glyph
``code`` is tried first, then ``sjis_code`` (so a CP932 ledger listing ``F040`` finds
``U+E000``). A code that matches several glyphs (two sources with the same code) fills all
of them and is warned about. When two ledger rows reach one glyph, the later one only fills
fields the earlier left empty, with a warning.
"""

from __future__ import annotations

from gaiji.extract.ledger import Ledger, LedgerRow, code_number
from gaiji.extract.summary import ExtractSummary

_FIELDS = ("reading", "usage_count", "note", "radical", "strokes")


def _number(code: str) -> int | None:
    return code_number(code) if code else None


def join_ledgers(
    rows: list[dict[str, str]], ledgers: list[Ledger], summary: ExtractSummary
) -> dict[str, int]:
    """Fill reading/usage_count/note (and radical/strokes) of *rows* in place; record unmatched rows and glyphs in
    *summary*. Returns joined-row counts per ledger path."""
    by_id = {r["gaiji_id"]: i for i, r in enumerate(rows)}
    by_code: dict[int, list[int]] = {}
    by_sjis: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        n = _number(r["code"])
        if n is not None:
            by_code.setdefault(n, []).append(i)
        s = _number(r["sjis_code"])
        if s is not None:
            by_sjis.setdefault(s, []).append(i)
    filled_by: dict[int, str] = {}
    joined: dict[str, int] = {}
    for ledger in ledgers:
        count = 0
        for row in ledger.rows:
            targets = _targets(row, ledger.code_kind, by_id, by_code, by_sjis)
            where = f"{ledger.path.name} line {row.line}"
            if not targets:
                label = row.gaiji_id or row.code or "(no id or code)"
                summary.ledger_without_glyph.append(f"{where}: {label}")
                continue
            count += 1
            if len(targets) > 1:
                names = ", ".join(rows[t]["gaiji_id"] for t in targets)
                summary.warnings.append(
                    f"{where}: code {row.code} matches {len(targets)} glyphs ({names}); filled all"
                )
            for t in targets:
                if t in filled_by:
                    summary.warnings.append(
                        f"{where}: {rows[t]['gaiji_id']} already joined to {filled_by[t]}; only empty fields filled"
                    )
                else:
                    filled_by[t] = where
                for field in _FIELDS:
                    value = getattr(row, field)
                    if value and not rows[t][field]:
                        rows[t][field] = value
                if rows[t].get("_image") and _number(row.code.strip()) is not None:
                    _take_ledger_code(rows[t], row.code.strip(), ledger.code_kind)
        joined[str(ledger.path)] = count
    summary.glyphs_without_ledger = [
        r["gaiji_id"] for i, r in enumerate(rows) if i not in filled_by
    ]
    return joined


def _take_ledger_code(glyph: dict[str, str], code: str, code_kind: str) -> None:
    """An image glyph's code is its file stem until a ledger row joins it: then the ledger's
    code is the gaiji's code (what the data carries), with its Shift_JIS form where it has one."""
    from gaiji.codes import pua_to_sjis, sjis_to_pua

    glyph["_image"] = ""  # the first ledger row that joins decides
    glyph["code"] = code
    n = _number(code)
    if n is None:
        return
    if code.upper().startswith("U+") or code_kind == "ucs":
        if 0xE000 <= n <= 0xE757:
            glyph["sjis_code"] = f"{pua_to_sjis(n):04X}"
        return
    try:
        sjis_to_pua(n)
    except ValueError:
        return
    glyph["sjis_code"] = f"{n:04X}"


def _targets(
    row: LedgerRow,
    code_kind: str,
    by_id: dict[str, int],
    by_code: dict[int, list[int]],
    by_sjis: dict[int, list[int]],
) -> list[int]:
    if row.gaiji_id and row.gaiji_id in by_id:
        return [by_id[row.gaiji_id]]
    n = _number(row.code)
    if n is None:
        return []
    if code_kind == "sjis":
        return by_sjis.get(n, [])
    if code_kind == "ucs" or row.code.strip().upper().startswith("U+"):
        return by_code.get(n, [])
    return by_code.get(n) or by_sjis.get(n, [])
