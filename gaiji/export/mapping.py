"""``gaiji export SET -o mapping.(csv|tsv|json|xml)``: the reviewed mapping table vendors import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gaiji import __version__
from gaiji.errors import ContractError
from gaiji.export.fontcheck import FontCoverage
from gaiji.export.readers import ReadRow
from gaiji.export.tables import MappingBuild, ReportItem, build_mapping_rows, read_glyph_entries
from gaiji.export.validate import schema_problems
from gaiji.export.writers import format_of, neutralise, write_mapping
from gaiji.fsutil import atomic_write
from gaiji.progress import Progress, no_progress

REPORT_COLUMNS = ("kind", "gaiji_id", "source", "code", "detail")


@dataclass
class ExportResult:
    path: Path
    report_path: Path
    format: str
    rows: int
    final: int
    build: MappingBuild

    @property
    def report(self) -> list[ReportItem]:
        return self.build.report

    def count(self, kind: str) -> int:
        return self.build.count(kind)


def default_report_path(out: str | Path) -> Path:
    """``mapping.csv`` → ``mapping.report.csv``."""
    out = Path(out)
    return out.with_name(out.stem + ".report.csv")


REVIEW_DB = "review.sqlite"  # gaiji.review.store.DB_NAME (the review stage is imported only when needed)


def open_review_store(set_dir: Path, **verify_options: Any) -> tuple[Any, Any]:
    """The set's review store and its chain report; refuses a record that does not verify
    (edited, deleted, added outside the desk, or rolled back behind a witnessed head)."""
    from gaiji.review.log import verify  # the review stage; imported when needed
    from gaiji.review.store import ReviewStore

    store = ReviewStore.open(set_dir)
    try:
        report = verify(store, **verify_options)
    except BaseException:
        store.close()
        raise
    return store, report


def _refuse_unrechecked(store: Any, decisions: list[Any], reference: Any, ref_sets: dict[str, Any]) -> None:
    # the review stage, imported when needed
    from gaiji.review.recheck import reference_change_problems

    current = str(getattr(reference, "version_label", ""))
    problems = reference_change_problems(store, decisions, current)
    # decisions for an added set's entries against that set's build (when installed here)
    for name, ref_set in ref_sets.items():
        on_set = [_SetVersioned(d.gaiji_id, d.ref_set_version) for d in decisions if d.ref_set == name]
        problems += reference_change_problems(store, on_set, ref_set.version_label)
    if problems:
        raise ContractError(
            f"decisions were made against another reference version than {current}: " + "; ".join(problems)
            + ". Run `gaiji reference diff OLD NEW --json -o diff.json` and `gaiji review recheck SET --diff "
            "diff.json --reviewer NAME` to send the affected ones back to review, or export anyway with "
            "--allow-reference-change (the report lists them as reference-changed)"
        )


@dataclass(frozen=True)
class _SetVersioned:
    """A decision seen through the set build it was made against (for the recheck rule)."""

    gaiji_id: str
    reference_version: str


def installed_sets(reference: Any) -> list[Any]:
    """The added sets installed beside *reference* (``gaiji reference sets``); none when it
    has no home on disk."""
    from gaiji.errors import GaijiError
    from gaiji.reference.refsets import load_sets

    home = getattr(reference, "home", None)
    if home is None:
        return []
    try:
        return load_sets(Path(home).parent)
    except (GaijiError, OSError):
        return []


def export_mapping(
    set_dir: str | Path,
    out: str | Path,
    *,
    reference: Any,
    fmt: str | None = None,
    encoding: str = "utf-8",
    bom: bool = False,
    include_pending: bool = False,
    target_font: str | Path | None = None,
    report_path: str | Path | None = None,
    store: Any = None,
    profile: str = "full",
    allow_reference_change: bool = False,
    trusted_keys: tuple[str, ...] | list[str] = (),
    expect_head: str | None = None,
    witness: str | Path | None = None,
    allow_unsigned: bool = False,
    ref_sets: list[Any] | None = None,
    progress: Progress = no_progress,
) -> ExportResult:
    """Export the final decisions of the gaiji set *set_dir* to *out*.

    Pending and disputed gaiji go to the report (``<out>.report.csv``: kind, gaiji_id,
    source, code, detail) and, with *include_pending*, into the table marked as such.
    *target_font* checks every character is drawn by that font (see :mod:`.fontcheck`).
    Decisions made against another reference version are refused unless the set was
    rechecked across it (``gaiji review recheck``) or *allow_reference_change*.
    The review record must verify (hashes, signatures; *expect_head* and the *witness* file
    when given — see :meth:`gaiji.review.store.ReviewStore.verify_chain`); its chain head is
    written into every row (``review_chain_head``) and, for JSON/XML, the table's header.
    Decisions for an added reference set's entries are written with the set's code point and
    font (``ref_set``, ``ref_id``, ``ref_font``, ``ref_set_version``); *ref_sets* are the sets
    to read them from (default: those installed beside *reference*).
    """
    set_dir = Path(set_dir)
    sets_by_name = {s.name: s for s in (installed_sets(reference) if ref_sets is None else ref_sets)}
    fmt = format_of(out, fmt)
    progress(0, 4, "export")
    glyphs = read_glyph_entries(set_dir)
    from gaiji.extract.gaijiset import PROVENANCE_JSON, partial_set_problems

    partial: list[str] = []
    try:
        import json as _json

        partial = partial_set_problems(_json.loads((set_dir / PROVENANCE_JSON).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    own_store = store is None
    chain = None
    audit_items: list[ReportItem] = []
    if own_store and not (set_dir / REVIEW_DB).is_file():
        decisions, open_items = [], []  # nothing reviewed yet: all pending, and export creates no review.sqlite
    else:
        if own_store:
            store, chain = open_review_store(set_dir, trusted_keys=trusted_keys, expect_head=expect_head,
                                             witness=witness, allow_unsigned=allow_unsigned)
        try:
            decisions = list(store.final_decisions())
            open_items = list(store.open_items())
            audit_items = _auto_accept_audit(store)
            if not allow_reference_change:
                _refuse_unrechecked(store, decisions, reference, sets_by_name)
        finally:
            if own_store and hasattr(store, "close"):
                store.close()
    progress(1, 4, "export")
    coverage = FontCoverage(target_font) if target_font else None
    build = build_mapping_rows(
        glyphs, decisions, open_items, reference,
        include_pending=include_pending,
        drawable=coverage.draws if coverage else None,
        target_font_name=coverage.name if coverage else "",
        ref_sets=sets_by_name,
    )
    progress(2, 4, "export")
    meta = {
        "generator": f"gaiji {__version__}",
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "reference_version": str(getattr(reference, "version_label", "")),
    }
    if chain is not None:
        meta["review_chain_head"] = f"{chain.head_seq}:{chain.head_hash}"
        meta["review_signing_key"] = " ".join(chain.key_ids)
        for row in build.rows:
            row["review_chain_head"] = meta["review_chain_head"]
    if profile == "minimal":
        _refuse_private_use_in_minimal(build)
    problems = schema_problems([ReadRow(i, f"row {i} ({r['gaiji_id']})", dict(r))
                                for i, r in enumerate(build.rows, start=1)])
    if problems:
        raise ContractError(
            "the decisions do not make a valid mapping table: "
            + "; ".join(f"{p.where}: {p.message}" for p in problems[:20])
            + (f" and {len(problems) - 20} more" if len(problems) > 20 else "")
        )
    path = write_mapping(build.rows, out, fmt=fmt, encoding=encoding, bom=bom, meta=meta, profile=profile)
    progress(3, 4, "export")
    report = Path(report_path) if report_path else default_report_path(out)
    # a partial set may be missing gaiji: every extract problem is listed in the report too
    build.report.extend(ReportItem("partial-set", "", "", "", p) for p in partial)
    build.report.extend(audit_items)
    write_report(build.report, report)
    progress(4, 4, "export")
    return ExportResult(path=path, report_path=report, format=fmt, rows=len(build.rows),
                        final=sum(1 for r in build.rows if r["status"] == "final"), build=build)


def _auto_accept_audit(store: Any) -> list[ReportItem]:
    """When random spot-checks show auto-accepts wrong more often than calibration promised
    (:mod:`gaiji.review.audit`), the report says so, and names each one found wrong."""
    if not hasattr(store, "events"):
        return []
    from gaiji.review.audit import spot_check_audit

    audit = spot_check_audit(store)
    if audit.verdict != "broken":
        return []
    items = [ReportItem(
        "auto-accept-audit", "", "", "",
        f"random spot-checks found {len(audit.wrong)} of {audit.sampled} auto-accepts wrong — at least "
        f"{100 * audit.error_lower:.2f} % at 95 %, where calibration promised at most {100 * audit.promise:g} %: "
        "review every auto-accepted row before this table is used (gaiji review audit SET)")]
    items += [ReportItem("auto-accept-audit", o.gaiji_id, "", "", f"auto-accepted {o.auto_mj} {o.auto_char}, "
                         f"reviewers agreed {o.final} {o.final_char}") for o in audit.wrong]
    return items


def _refuse_private_use_in_minimal(build: MappingBuild) -> None:
    """The minimal profile has no ref_set / ref_font: an added set's private-use code point
    would reach the vendor without the set and font that give it a meaning."""
    from gaiji.codes import is_pua

    rows = [r for r in build.rows if r.get("ref_set") not in ("", "MJ") and r["char"] and is_pua(ord(r["char"][0]))]
    if rows:
        names = ", ".join(f"{r['gaiji_id']} ({r['ref_set']} {r['ref_id']} {r['ucs']})" for r in rows[:5])
        raise ContractError(
            f"{len(rows)} row(s) are private-use code points of an added reference set ({names}); the minimal "
            "profile has no ref_set / ref_font columns to say which set and font draw them — export the full "
            "profile (without --profile minimal)"
        )


def write_report(items: list[ReportItem], path: str | Path) -> Path:
    """The export report as UTF-8 CSV (header even when empty, so no stale report lingers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for item in items:
        writer.writerow([neutralise(x) for x in (item.kind, item.gaiji_id, item.source, item.code, item.detail)])
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())
    return Path(path)
