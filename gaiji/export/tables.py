"""Mapping-table rows from final review decisions, the gaiji set and the MJ reference.

:func:`build_mapping_rows` is pure (no I/O); :func:`gaiji.export.export_mapping` wires it to the
review store, the gaiji set folder and the writers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaiji.errors import ContractError
from gaiji.export.columns import IDENTIFICATION_CLASSES, MappingRow, empty_row
from gaiji.export.fallback import ChosenFallback, choose_fallback
from gaiji.review.store import FinalDecision


@dataclass(frozen=True)
class GlyphEntry:
    """The part of a gaiji set's ``glyphs.csv`` row the mapping table carries."""

    gaiji_id: str
    source: str
    code: str


@dataclass(frozen=True)
class ReportItem:
    """A line of the export report: a row left out, marked, or changed for the target font."""

    kind: str  # pending | disputed | font-fallback | font-missing | mj-table-differs | reference-changed
    #            | set-table-differs | set-not-installed | auto-accept-audit
    gaiji_id: str
    source: str
    code: str
    detail: str


@dataclass
class MappingBuild:
    rows: list[MappingRow]
    report: list[ReportItem] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for item in self.report if item.kind == kind)


def read_glyph_entries(set_dir: str | Path) -> list[GlyphEntry]:
    """``gaiji_id``, ``source`` and ``code`` of every gaiji of the set at *set_dir*."""
    from gaiji.extract.gaijiset import read_gaiji_set

    return [GlyphEntry(r.gaiji_id, r.source, r.code) for r in read_gaiji_set(set_dir)]


_HEX_CODE = re.compile(r"^(?:U\+|0x)?([0-9A-Fa-f]{2,6})$")


def code_sort_key(code: str) -> tuple[int, int, str]:
    """Numeric order for hexadecimal codes (``U+E000``, ``F040``, ``0xF040``), text order after.

    >>> sorted(['U+E00A', 'U+E009', 'x'], key=code_sort_key)
    ['U+E009', 'U+E00A', 'x']
    """
    m = _HEX_CODE.match(code.strip())
    if m:
        return (0, int(m.group(1), 16), code)
    return (1, 0, code)


def row_sort_key(row: Mapping[str, str]) -> tuple[Any, ...]:
    """The stable order of mapping rows: source, then code, then gaiji_id."""
    return (row["source"], code_sort_key(row["code"]), row["gaiji_id"])


def sjis_code_of(code: str) -> str:
    """The Shift_JIS user-defined code of a gaiji code, or ''.

    >>> sjis_code_of('U+E000'), sjis_code_of('0xf09f'), sjis_code_of('U+E758'), sjis_code_of('0x7521')
    ('F040', 'F09F', '', '')
    """
    from gaiji.codes import pua_to_sjis, sjis_to_pua

    text = code.strip().upper()
    try:
        if text.startswith("U+"):
            return f"{pua_to_sjis(int(text[2:], 16)):04X}"  # noqa: FURB166 - the prefix is U+, not 0x
        hexa = text.removeprefix("0X")
        if len(hexa) == 4:
            sjis_to_pua(int(hexa, 16))
            return hexa
    except ValueError:
        pass
    return ""


def _flag(value: bool) -> str:
    return "1" if value else "0"


def build_mapping_rows(
    glyphs: Sequence[GlyphEntry],
    decisions: Iterable[FinalDecision],
    open_items: Iterable[Mapping[str, Any]],
    reference: Any,
    *,
    include_pending: bool = False,
    drawable: Callable[[str], bool] | None = None,
    target_font_name: str = "",
    ref_sets: Mapping[str, Any] | None = None,
) -> MappingBuild:
    """One row per gaiji with a final decision (plus pending/disputed rows when asked).

    *reference* needs ``record(mj)`` (an :class:`~gaiji.reference.MJRecord`) and
    ``version_label``. *ref_sets* (name → :class:`~gaiji.reference.refsets.ReferenceSet`) are
    the added sets installed here: a decision for one of their entries is written from the
    set's own record (code point, font name); without the set, from what the decision recorded
    (reported as ``set-not-installed``). *drawable*, when given, says whether the target font draws a text;
    rows whose character it cannot draw get ``use_fallback=1`` and the best fallback the font
    does draw. Every gaiji without a final decision is listed in the report.
    """
    by_id = {g.gaiji_id: g for g in glyphs}
    report: list[ReportItem] = []
    rows: list[MappingRow] = []
    decided: set[str] = set()
    for d in decisions:
        glyph = by_id.get(d.gaiji_id)
        if glyph is None:
            raise ContractError(
                f"the review store has a decision for gaiji {d.gaiji_id!r}, which is not in the "
                "gaiji set's glyphs.csv; was the set re-extracted after review? Export from the "
                "set the decisions were made on"
            )
        if d.gaiji_id in decided:
            raise ContractError(f"the review store returned two final decisions for {d.gaiji_id!r}")
        decided.add(d.gaiji_id)
        row = _decision_row(glyph, d, reference, report, ref_sets or {})
        current = str(getattr(reference, "version_label", ""))
        if d.reference_version and current and d.reference_version != current:
            report.append(ReportItem(
                "reference-changed", glyph.gaiji_id, glyph.source, glyph.code,
                f"decided against {d.reference_version}; exported with {current} (check the MJ row still fits)",
            ))
        if d.ref_set:
            _apply_set_fallback(row, glyph, drawable, target_font_name, report)
        else:
            _apply_fallback(row, glyph, reference, drawable, target_font_name, report)
        rows.append(row)

    states = {str(item.get("gaiji_id", "")): item for item in open_items}
    for glyph in glyphs:
        if glyph.gaiji_id in decided:
            continue
        item = states.get(glyph.gaiji_id, {})
        status = "disputed" if item.get("state") == "disputed" else "pending"
        report.append(ReportItem(status, glyph.gaiji_id, glyph.source, glyph.code, _open_detail(item)))
        if include_pending:
            row = empty_row()
            row.update(source=glyph.source, code=glyph.code, gaiji_id=glyph.gaiji_id,
                       status=status, auto_accepted="0", use_fallback="0",
                       reference_version=str(getattr(reference, "version_label", "")))
            agreed = item.get("agreed_mj")
            agreed_ref = item.get("agreed_ref")
            if agreed_ref:  # an added set's entry, awaiting the second reviewer
                row.update(ref_set=agreed_ref["ref_set"], ref_id=agreed_ref["ref_id"], char=agreed_ref["char"],
                           ucs=agreed_ref["ucs"], ivs=agreed_ref["ivs"], ref_font=agreed_ref.get("font_name", ""))
            elif agreed:  # one reviewer's choice, awaiting the second: shown, marked pending
                try:
                    rec = reference.record(agreed)
                    row.update(mj=rec.mj, ucs=rec.ucs, ivs=rec.ivs, char=rec.char,
                               juki_code=rec.juki, koseki_number=rec.koseki, ref_set="MJ", ref_id=rec.mj)
                except (KeyError, IndexError, LookupError):
                    report[-1] = ReportItem(status, glyph.gaiji_id, glyph.source, glyph.code,
                                            f"{report[-1].detail}; {agreed} is not in the MJ reference")
            rows.append(row)
    for row in rows:
        row["sjis_code"] = sjis_code_of(row["code"])
    rows.sort(key=row_sort_key)
    report.sort(key=lambda r: (r.kind, r.source, code_sort_key(r.code), r.gaiji_id))
    return MappingBuild(rows, report)


def _open_detail(item: Mapping[str, Any]) -> str:
    """Say where an open gaiji stands, from a review store ``open_items()`` entry."""
    if not item:
        return "not reviewed yet"
    views = item.get("views") or []
    def who(v: Mapping[str, Any]) -> str:
        return f"{v.get('reviewer', '?')}: {v.get('mj') or v.get('identification_class') or '?'}"
    state = item.get("state", "pending")
    if state == "disputed":
        return "reviewers disagree (" + "; ".join(who(v) for v in views) + ")"
    if state == "decided":
        return "awaiting a second reviewer (" + "; ".join(who(v) for v in views) + ")"
    return "not reviewed yet" if not views else "; ".join(who(v) for v in views)


def _decision_row(glyph: GlyphEntry, d: FinalDecision, reference: Any, report: list[ReportItem],
                  ref_sets: Mapping[str, Any]) -> MappingRow:
    if d.identification_class not in IDENTIFICATION_CLASSES:
        raise ContractError(
            f"decision for {d.gaiji_id!r} has identification class {d.identification_class!r}; "
            f"expected one of {', '.join(IDENTIFICATION_CLASSES)}"
        )
    row = empty_row()
    row.update(
        source=glyph.source, code=glyph.code, gaiji_id=glyph.gaiji_id,
        identification_class=d.identification_class,
        decided_by=d.decided_by or "", decided_at=d.decided_at or "",
        checked_by=d.checked_by or "", checked_at=d.checked_at or "",
        auto_accepted=_flag(bool(d.auto_accepted)), use_fallback="0",
        reference_version=d.reference_version or str(getattr(reference, "version_label", "")),
        status="final",
    )
    if d.ref_set:
        _set_decision_fields(row, glyph, d, ref_sets.get(d.ref_set), report)
    elif d.mj:
        try:
            rec = reference.record(d.mj)
        except (KeyError, IndexError, LookupError) as exc:
            raise ContractError(
                f"decision for {d.gaiji_id!r} names {d.mj}, which the MJ reference does not have "
                f"({getattr(reference, 'version_label', '')}); correct it in review"
            ) from exc
        row.update(mj=rec.mj, ucs=rec.ucs, ivs=rec.ivs, char=rec.char,
                   juki_code=rec.juki, koseki_number=rec.koseki, ref_set="MJ", ref_id=rec.mj)
        given = (d.char or "", d.ucs or "", d.ivs or "")
        if any(g and g != want for g, want in zip(given, (rec.char, rec.ucs, rec.ivs))):
            report.append(ReportItem(
                "mj-table-differs", glyph.gaiji_id, glyph.source, glyph.code,
                f"decision recorded {' '.join(x for x in given if x)} for {rec.mj}; exported the MJ "
                f"table's {rec.ucs} {rec.ivs}".rstrip(),
            ))
    else:
        # 該当なし: no MJ character; a reviewer may still have named a plain UCS character.
        row.update(char=d.char or "", ucs=d.ucs or "", ivs=d.ivs or "")
    return row


def _set_decision_fields(row: MappingRow, glyph: GlyphEntry, d: FinalDecision, ref_set: Any,
                         report: list[ReportItem]) -> None:
    """An added set's entry: the set's record when the set is installed here, else what the
    decision recorded; its code point, the font that draws it and the set build."""
    recorded = (d.char or "", d.ucs or "", d.ivs or "")
    row.update(ref_set=d.ref_set, ref_id=d.ref_id, char=recorded[0], ucs=recorded[1], ivs=recorded[2],
               ref_font=d.font_name or "", ref_set_version=d.ref_set_version or "")
    if ref_set is None:
        report.append(ReportItem(
            "set-not-installed", glyph.gaiji_id, glyph.source, glyph.code,
            f"{d.ref_set} is not installed here (`gaiji reference sets`): exported {d.ref_id} as the decision "
            f"recorded it ({' '.join(x for x in recorded[1:] if x) or 'no code'}, font {d.font_name or '?'})",
        ))
        if not row["char"]:
            raise ContractError(
                f"decision for {d.gaiji_id!r} names {d.ref_set} {d.ref_id} but recorded no character, and the set "
                f"is not installed here; add it with `gaiji reference add-set {d.ref_set} …` and export again"
            )
        return
    try:
        rec = ref_set.record(d.ref_id)
    except KeyError as exc:
        raise ContractError(
            f"decision for {d.gaiji_id!r} names {d.ref_set} {d.ref_id}, which the installed set does not have "
            f"({ref_set.version_label}); run `gaiji review recheck` with the set's diff, or correct it in review"
        ) from exc
    if not rec.char:
        raise ContractError(
            f"{d.ref_set} {d.ref_id} (decision for {d.gaiji_id!r}) has no code point in the set's list: a vendor "
            "could not write it; give the list a code for it (UCS or private-use) and add the set again"
        )
    row.update(char=rec.char, ucs=rec.ucs, ivs=rec.ivs, ref_font=rec.font_name, juki_code=rec.juki,
               koseki_number=rec.koseki, ref_set_version=d.ref_set_version or ref_set.version_label)
    if any(g and g != want for g, want in zip(recorded, (rec.char, rec.ucs, rec.ivs))):
        report.append(ReportItem(
            "set-table-differs", glyph.gaiji_id, glyph.source, glyph.code,
            f"decision recorded {' '.join(x for x in recorded[1:] if x)} for {d.ref_set} {d.ref_id}; exported the "
            f"set's {rec.ucs} {rec.ivs}".rstrip(),
        ))
    related = rec.related_ucs.strip()
    if related:
        from gaiji.codes import is_pua
        from gaiji.reference.settable import parse_code

        try:
            base, _sel = parse_code(related)
        except ValueError:
            base = None
        if base is not None and not is_pua(base):
            row.update(fallback_char=chr(base), fallback_ucs=f"U+{base:04X}",
                       fallback_basis=f"{d.ref_set} list: related UCS")


def _apply_set_fallback(row: MappingRow, glyph: GlyphEntry, drawable: Callable[[str], bool] | None,
                        font_name: str, report: list[ReportItem]) -> None:
    """The target font check for an added set's character (its fallback is the list's related UCS)."""
    if drawable is None or not row["char"] or drawable(row["char"]):
        return
    what = f"{font_name} does not draw {row['char']} ({row['ucs']} {row['ivs']})".replace(" )", ")")
    if row["fallback_char"] and drawable(row["fallback_char"]):
        row["use_fallback"] = "1"
        report.append(ReportItem("font-fallback", glyph.gaiji_id, glyph.source, glyph.code,
                                 f"{what}; use fallback {row['fallback_char']} ({row['fallback_ucs']}, "
                                 f"{row['fallback_basis']})"))
    else:
        report.append(ReportItem("font-missing", glyph.gaiji_id, glyph.source, glyph.code,
                                 f"{what}: render it with the set's font {row['ref_font'] or '?'}"))


def _apply_fallback(
    row: MappingRow, glyph: GlyphEntry, reference: Any, drawable: Callable[[str], bool] | None,
    font_name: str, report: list[ReportItem],
) -> None:
    if not row["mj"]:
        return
    rec = reference.record(row["mj"])
    chosen: ChosenFallback = choose_fallback(rec)
    if drawable is not None and not drawable(row["char"]):
        row["use_fallback"] = "1"
        drawn = choose_fallback(rec, drawable=drawable)
        what = f"{font_name} does not draw {row['char']} ({row['ucs']} {row['ivs']})".replace(" )", ")")
        if drawn.is_empty:
            report.append(ReportItem("font-missing", glyph.gaiji_id, glyph.source, glyph.code,
                                     f"{what}, nor any of its fallbacks; kept {chosen.char or 'none'}"))
        else:
            chosen = drawn
            report.append(ReportItem("font-fallback", glyph.gaiji_id, glyph.source, glyph.code,
                                     f"{what}; use fallback {drawn.char} ({drawn.ucs}, {drawn.basis})"))
    row.update(fallback_char=chosen.char, fallback_ucs=chosen.ucs, fallback_basis=chosen.basis)
