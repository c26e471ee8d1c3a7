"""``gaiji demo``: the whole pipeline on the bundled sample municipality.

reference (build or reuse) → the bundled added reference set ``HanaExt`` (a stand-in for what
行政事務標準文字 adds to MJ) installed into the demo's own working home ``OUT/reference-home``
(the MJ reference linked in, read only; the shared reference is never modified) → extract the
sample's EUDC font, CP932 ledger and BDF font → match against MJ ∪ the added sets → auto-accept only what the matcher is confident of (rank-1
rows with ``auto_accept=1``, recorded in the review store as the matcher's) → export the
mapping table of the accepted rows → convert a small CP932 resident file with it → an HTML
report (each gaiji beside its best MJ match, counts, timings).

Rerunnable: a set whose sources have not changed is reused, so decisions made at the review
desk in between survive, and auto-accepts are recorded once. Every stage is the library
function the CLI command of that stage calls.
"""

from __future__ import annotations

import csv
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gaiji.codes import char as code_char
from gaiji.codes import pua_to_sjis
from gaiji.errors import ContractError, OutputError, ReferenceMissing
from gaiji.fsutil import sha256_file
from gaiji.match.trust import NO_MATCH_SUGGEST
from gaiji.progress import Progress, no_progress

SET_NAME = "set"
CANDIDATES_NAME = "candidates.csv"
MAPPING_NAME = "mapping.csv"
REPORT_NAME = "report.html"
RESIDENTS_NAME = "residents.cp932.csv"
CONVERTED_NAME = "residents.utf8.csv"


@dataclass
class StageTiming:
    stage: str
    seconds: float
    note: str


@dataclass
class DemoResult:
    out_dir: Path
    set_dir: Path
    candidates: Path
    mapping: Path
    mapping_report: Path
    html_report: Path
    residents: Path
    converted: Path
    unmapped_report: Path | None
    reference_version: str
    counts: dict[str, int] = field(default_factory=dict)
    timings: list[StageTiming] = field(default_factory=list)
    eudc_source: str = ""  # the source whose codes the resident file carries
    work_home: Path | None = None  # the demo's GAIJI_HOME with the sample set (None: could not link)
    ref_sets: list[str] = field(default_factory=list)  # the added sets matched against

    def _home(self) -> str:
        return f" --home {self.work_home}" if self.work_home else ""

    @property
    def total_seconds(self) -> float:
        return sum(t.seconds for t in self.timings)

    def next_steps(self) -> list[tuple[str, str]]:
        """(what for, command or path)."""
        steps = [("look at the matches", f"open {self.html_report} in a browser")]
        if self.counts.get("open", 0):
            steps.append((f"review the {self.counts['open']} open gaiji",
                          f"gaiji review serve {self.set_dir}{self._home()}"))
        steps += [
            ("re-export after review", f"gaiji export {self.set_dir} -o {self.mapping}{self._home()}"),
            ("check it as a vendor would", f"gaiji validate {self.mapping}{self._home()}"),
            ("migrate data with it", (f"gaiji convert {self.residents} --mapping {self.mapping} "
                                      f"--source {self.eudc_source or 'EUDC.TTE'} -o {self.converted}")),
        ]
        return steps


StageCallback = Callable[[str, "StageTiming | None"], None]
"""Called with (stage, None) when a stage starts and (stage, timing) when it is done."""

STAGES = ("reference", "reference set", "extract", "match", "auto-accept", "export", "convert", "report")
WORK_HOME_NAME = "reference-home"  # OUT/reference-home: reference/ (a link) + reference_sets/HanaExt


def _no_stage(stage: str, timing: StageTiming | None) -> None:
    """A stage callback that does nothing."""


class _Clock:
    def __init__(self, timings: list[StageTiming], on_stage: StageCallback) -> None:
        self.timings = timings
        self.on_stage = on_stage

    def run(self, stage: str, fn: Callable[[], tuple[Any, str]]) -> Any:
        self.on_stage(stage, None)
        start = time.monotonic()
        value, note = fn()
        timing = StageTiming(stage, time.monotonic() - start, note)
        self.timings.append(timing)
        self.on_stage(stage, timing)
        return value


def _set_is_current(set_dir: Path, sources: Path) -> bool:
    """Was *set_dir* extracted from exactly the files now in *sources*?"""
    import json

    prov_path = set_dir / "provenance.json"
    if not (set_dir / "glyphs.csv").is_file() or not prov_path.is_file():
        return False
    try:
        prov = json.loads(prov_path.read_text(encoding="utf-8"))
        recorded = {s["name"]: s["sha256"] for s in prov.get("sources", [])}
    except (ValueError, KeyError, TypeError):
        return False
    current = {p.name: sha256_file(p) for p in sorted(sources.iterdir()) if p.is_file()}
    return bool(recorded) and recorded == current


def _reference(home: Path | None, progress: Progress) -> tuple[Any, str]:
    from gaiji.reference import build_reference, load_reference

    try:
        ref = load_reference(home)
        return ref, f"reused {ref.home}"
    except ReferenceMissing:
        summary = build_reference(home, progress=progress)
        ref = load_reference(home)
        return ref, f"built in {summary.seconds:.0f} s"


def _link_reference(link: Path, target: Path) -> bool:
    """*link* → the MJ reference folder *target* (read only through it); False when that
    cannot be made (a real folder already there, or no symlinks on this file system)."""
    import os

    target = target.resolve()
    if link.is_symlink():
        if link.resolve() == target:
            return True
        link.unlink()  # a link left by an earlier run against another reference
    elif link.exists():
        return (link / "provenance.json").is_file()  # a reference of its own: use it as it is
    try:
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link, target_is_directory=True)
    except OSError:
        return False
    return True


def _reference_sets(out_dir: Path, reference: Any, progress: Progress) -> tuple[tuple[list[Any], Path | None], str]:
    """The bundled sample set added into the demo's working home, plus the sets the user
    installed beside the reference (by another name)."""
    from gaiji.export.mapping import installed_sets
    from gaiji.reference.refsets import add_set, load_set
    from gaiji.sample import REFSET_FONT, REFSET_NAME, REFSET_TABLE, refset_dir

    work = out_dir / WORK_HOME_NAME
    linked = _link_reference(work / "reference", Path(reference.home))
    summary = add_set(REFSET_NAME, [refset_dir() / REFSET_FONT], refset_dir() / REFSET_TABLE, home=work,
                      progress=progress)
    sample = load_set(REFSET_NAME, work)
    others = [s for s in installed_sets(reference) if s.name != REFSET_NAME]
    how = "reused" if summary.skipped else f"added in {summary.seconds:.1f} s"
    note = (f"{REFSET_NAME}: {summary.rows_with_glyph} characters ({how}) in {work}"
            + (f"; also installed: {', '.join(s.name for s in others)}" if others else ""))
    return ([sample, *others], work if linked else None), note


def _extract(set_dir: Path, out_dir: Path, progress: Progress) -> tuple[Any, str]:
    from gaiji.extract import ExtractOptions, extract_gaiji_set, read_gaiji_set
    from gaiji.sample import sample_dir

    sources = sample_dir()
    if not sources.is_dir():
        raise ContractError(f"the bundled sample is missing ({sources}); reinstall gaiji")
    if _set_is_current(set_dir, sources):
        gset = read_gaiji_set(set_dir)
        return gset, f"reused {len(gset)} gaiji (sources unchanged)"
    review_db = set_dir / "review.sqlite"
    if review_db.is_file():  # the sample changed under an old review: keep the old record aside
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        shutil.copy2(review_db, out_dir / f"review-{stamp}.sqlite")
    # the old review record was copied aside above, so the set may be replaced
    summary = extract_gaiji_set([sources], set_dir, options=ExtractOptions(replace_later_stages=True),
                                progress=progress)
    gset = read_gaiji_set(set_dir)
    kinds = ", ".join(f"{Path(s.path).name}: {s.glyphs}" for s in summary.sources if s.glyphs)
    return gset, f"{len(gset)} gaiji ({kinds})"


def _match(set_dir: Path, candidates: Path, reference: Any, ref_sets: list[Any],
           progress: Progress) -> tuple[list[dict[str, str]], str]:
    from gaiji.match import match_gaiji_set, write_candidates

    result = match_gaiji_set(set_dir, reference, progress=progress, ref_sets=ref_sets)
    write_candidates(result, candidates)
    rows = read_candidates(candidates)
    gaiji = len({r["gaiji_id"] for r in rows})
    blank = f", {len(result.blank_ids)} blank skipped" if result.blank_ids else ""
    sets = f" over MJ ∪ {', '.join(s.name for s in ref_sets)}" if ref_sets else ""
    return rows, f"{gaiji} gaiji ranked{sets}, top {len(rows) // max(gaiji, 1)} candidates each{blank}"


def read_candidates(path: Path) -> list[dict[str, str]]:
    """Rows of a candidates CSV (contract: gaiji_id, rank, mj, ucs, ivs, char, score,
    confidence, auto_accept, evidence…)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"gaiji_id", "rank", "mj", "auto_accept"} - set(reader.fieldnames or [])
            if missing:
                raise ContractError(f"{path}: candidates CSV lacks {', '.join(sorted(missing))}")
            return list(reader)
    except FileNotFoundError as exc:
        raise ContractError(f"{path}: no candidates; run `gaiji match` first") from exc




def _no_match(row: dict[str, str]) -> float:
    try:
        return float(row.get("no_match") or 0.0)
    except ValueError:
        return 0.0


def best_candidates(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """gaiji_id → its rank-1 candidate row."""
    best: dict[str, dict[str, str]] = {}
    for r in rows:
        if str(r.get("rank", "")).strip() == "1":
            best.setdefault(r["gaiji_id"], r)
    return best


def _auto_accept(set_dir: Path, best: dict[str, dict[str, str]], reference: Any) -> tuple[dict[str, int], str]:
    from gaiji.review.store import ReviewStore

    proposed = {gid: row for gid, row in best.items() if str(row.get("auto_accept", "")).strip() == "1"}
    store = ReviewStore.open(set_dir)
    try:
        new = 0
        for gid, row in proposed.items():
            if store.record_auto_accept(gid, row, reference_version=reference.version_label) is not None:
                new += 1
        in_store = {d.gaiji_id for d in store.final_decisions() if d.auto_accepted}
        open_items = len(store.open_items())
    finally:
        store.close()
    stale = in_store - set(proposed)
    note = f"{len(proposed)} proposed by the matcher ({new} newly recorded)"
    if stale:
        note += (f"; {len(stale)} accepted by an earlier run are no longer proposed — still final in the "
                 "review store, check them at the desk")
    note += f"; {open_items} left for review"
    return {"auto_accepted": len(in_store), "proposed": len(proposed), "newly_accepted": new,
            "stale_auto_accepts": len(stale), "open": open_items}, note


def _export(set_dir: Path, mapping: Path, reference: Any, ref_sets: list[Any]) -> tuple[Any, str]:
    from gaiji.export.mapping import export_mapping

    result = export_mapping(set_dir, mapping, reference=reference, ref_sets=ref_sets)
    return result, f"{result.final} rows final; {result.count('pending') + result.count('disputed')} in the report"


def write_residents(path: Path, codes: list[str], readings: dict[str, str]) -> int:
    """A small CP932 resident file whose names carry the sample's gaiji (Shift_JIS UDA bytes),
    the kind of data ``gaiji convert`` migrates. Returns the number of gaiji written."""
    from gaiji.fsutil import atomic_write

    surnames = ["山", "田", "川", "中", "木"]
    given = ["太郎", "花子", "一", "恵", "誠"]
    lines = ["番号,氏名,よみ\r\n"]
    for i, code in enumerate(codes, start=1):
        gaiji = code_char(code)
        lines.append(f"{i:05d},{surnames[i % 5]}{gaiji} {given[i % 5]},{readings.get(code, '')}\r\n")
    with atomic_write(path, "wb") as handle:
        handle.write("".join(lines).encode("cp932"))
    return len(codes)


def _convert(out_dir: Path, gset: Any, mapping: Path) -> tuple[Any, str]:
    from gaiji.export.convert import convert_files, load_conversion_table

    eudc = [r for r in gset.records if r.code.upper().startswith("U+E") and _in_uda(r.code)]
    source = eudc[0].source if eudc else ""
    residents = out_dir / RESIDENTS_NAME
    write_residents(residents, [r.code for r in eudc], {r.code: r.reading for r in eudc})
    table = load_conversion_table(mapping, source=source or None) if eudc else None
    if table is None:
        return None, "no EUDC gaiji in the sample"
    result = convert_files([residents], table, output=out_dir / CONVERTED_NAME)
    return (result, source), (f"{result.converted} gaiji converted, {result.unmapped} await review "
                              f"(listed in {result.report_path.name if result.report_path else '-'})")


def _in_uda(code: str) -> bool:
    try:
        pua_to_sjis(ord(code_char(code)))
        return True
    except ValueError:
        return False


def _answers() -> dict[str, str] | None:
    """The sample's answer key (``gaiji bench`` truth) — shown in the report, never used by a
    stage: gaiji_id → the MJ number, ``'SET ID'`` for a character only an added set has, or
    '' when nothing is the same character."""
    from gaiji.sample import answers_path

    path = answers_path()
    if not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        return {r["gaiji_id"]: (f"{r['ref_set']} {r['ref_id']}" if _in_added_set(r) else r.get("mj", ""))
                for r in csv.DictReader(handle)}


def _in_added_set(row: dict[str, str]) -> bool:
    return (row.get("ref_set") or "MJ") != "MJ"


def _target(row: dict[str, str]) -> str:
    """What a candidates row names: the MJ number or 'SET ID'."""
    return f"{row['ref_set']} {row['ref_id']}" if _in_added_set(row) else row.get("mj", "") or ""


def _html(result: DemoResult, gset: Any, best: dict[str, dict[str, str]], reference: Any,
          accepted: set[str], final: set[str], ref_sets: list[Any]) -> tuple[Path, str]:
    from gaiji.export.html_report import GaijiCard, HtmlReport, write_html_report

    answers = _answers()
    sets_by_name = {s.name: s for s in ref_sets}
    cards = []
    for rec in gset.records:
        row = best.get(rec.gaiji_id, {})
        mj = row.get("mj", "") or ""
        mj_image = None
        ref = _target(row) if row and _in_added_set(row) else ""
        if ref and row["ref_set"] in sets_by_name:
            try:
                mj_image = sets_by_name[row["ref_set"]].glyph_image(row["ref_id"], px=96)
            except KeyError:
                mj_image = None
        elif mj:
            try:
                mj_image = reference.glyph_image(mj, px=96)
            except KeyError:
                mj_image = None
        try:
            image = rec.load_image()
        except ContractError:
            image = None
        status = ("auto-accepted" if rec.gaiji_id in accepted
                  else "final" if rec.gaiji_id in final else "needs review")
        conf = row.get("confidence")
        cards.append(GaijiCard(
            gaiji_id=rec.gaiji_id, source=rec.source, code=rec.code, reading=rec.reading, image=image,
            status=status, mj=mj, char=row.get("char", ""), ucs=row.get("ucs", ""), ivs=row.get("ivs", ""),
            confidence=float(conf) if conf not in (None, "") else None, mj_image=mj_image,
            answer=None if answers is None or rec.gaiji_id not in answers else answers[rec.gaiji_id],
            ref=ref,
        ))
    c = result.counts
    report = HtmlReport(
        title="gaiji demo — sample municipality",
        subtitle=f"reference: {result.reference_version} · generated "
                 f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        counts=[(k, f"{v:,}") for k, v in (
            ("gaiji extracted", c.get("gaiji", 0)),
            ("matched (have a rank-1 candidate)", c.get("matched", 0)),
            ("auto-accepted by the matcher", c.get("auto_accepted", 0)),
            ("該当なし suggested (no MJ glyph is the same character)", c.get("no_match_suggested", 0)),
            ("ranked first to an added set's entry", c.get("ranked_to_added_set", 0)),
            ("final rows in the mapping table", c.get("final", 0)),
            ("left for review (pending / disputed)", c.get("open", 0)),
            ("gaiji converted in the resident file", c.get("converted", 0)),
        )],
        timings=[(t.stage, t.seconds, t.note) for t in result.timings],
        cards=cards,
        links=[("mapping table", MAPPING_NAME), ("export report", result.mapping_report.name),
               ("candidates", f"{SET_NAME}/{CANDIDATES_NAME}"), ("converted residents", CONVERTED_NAME)]
        + ([("unconverted gaiji", result.unmapped_report.name)] if result.unmapped_report else []),
    )
    if answers is not None:
        judged = [card for card in cards if card.status == "auto-accepted" and card.answer is not None]
        right = sum(1 for card in judged if card.target == card.answer)
        top1 = [card for card in cards if card.answer is not None]
        report.notes.append(
            f"Checked against the sample's answer key (used by no stage): {right} of {len(judged)} "
            f"auto-accepted gaiji are right; rank-1 is right for "
            f"{sum(1 for card in top1 if card.target == card.answer)} of {len(top1)} gaiji. "
            "Cards outlined in red differ from the key."
        )
        set_only = {gid: a for gid, a in answers.items() if a and not a.startswith("MJ")}
        if set_only:
            at1 = sum(1 for gid, a in set_only.items() if _target(best.get(gid, {"mj": ""})) == a)
            auto = sum(1 for gid in set_only if str(best.get(gid, {}).get("auto_accept", "")) == "1")
            names = ", ".join(sorted({a.split(" ")[0] for a in set_only.values()}))
            report.notes.append(
                f"Only in the added set {names} (MJ has no equivalent): {at1} of {len(set_only)} gaiji are "
                f"ranked first to their set entry (set@1 {at1}/{len(set_only)}); {auto} of them auto-accepted "
                "(an added set's entry never is, and none goes to an MJ look-alike). A reviewer confirms them "
                "at the desk, where the set's entries are candidates and search hits."
            )
            result.counts.update(set_only=len(set_only), set_only_at_1=at1, set_only_auto_accepted=auto)
        result.counts["auto_accepted_right"] = right
        suggested = [gid for gid, row in best.items() if _no_match(row) >= NO_MATCH_SUGGEST]
        truly = sum(1 for gid in suggested if answers.get(gid) == "")
        without = sum(1 for a in answers.values() if a == "")  # neither MJ nor an added set has it
        report.notes.append(
            f"該当なし: the matcher suggests it for {len(suggested)} gaiji; {truly} of the sample's {without} "
            "gaiji with no MJ equivalent are among them (and none of those is auto-accepted)."
        )
        result.counts["no_match_suggested_right"] = truly
    path = write_html_report(report, result.html_report)
    return path, f"{len(cards)} cards"


def run_demo(out_dir: str | Path = "demo-out", *, home: Path | None = None,
             progress: Progress = no_progress, on_stage: StageCallback = _no_stage) -> DemoResult:
    """Run the pipeline on the sample municipality into *out_dir*; see the module docstring.

    *progress* receives the stages' own progress, *on_stage* the start and end of each of
    :data:`STAGES`."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot write the demo to {out} ({exc.strerror or exc}); choose a folder you can write to with -o"
        ) from exc
    set_dir = out / SET_NAME
    timings: list[StageTiming] = []
    clock = _Clock(timings, on_stage)

    reference = clock.run("reference", lambda: _reference(home, progress))
    ref_sets, work_home = clock.run("reference set", lambda: _reference_sets(out, reference, progress))
    gset = clock.run("extract", lambda: _extract(set_dir, out, progress))
    candidates = set_dir / CANDIDATES_NAME
    rows = clock.run("match", lambda: _match(set_dir, candidates, reference, ref_sets, progress))
    best = best_candidates(rows)
    accept_counts = clock.run("auto-accept", lambda: _auto_accept(set_dir, best, reference))
    mapping = out / MAPPING_NAME
    exported = clock.run("export", lambda: _export(set_dir, mapping, reference, ref_sets))
    converted = clock.run("convert", lambda: _convert(out, gset, mapping))

    result = DemoResult(
        out_dir=out, set_dir=set_dir, candidates=candidates, mapping=mapping,
        mapping_report=exported.report_path, html_report=out / REPORT_NAME,
        residents=out / RESIDENTS_NAME, converted=out / CONVERTED_NAME,
        unmapped_report=converted[0].report_path if converted else None,
        reference_version=reference.version_label, timings=timings,
        work_home=work_home, ref_sets=[s.name for s in ref_sets],
    )
    final_ids = {r["gaiji_id"] for r in exported.build.rows if r["status"] == "final"}
    accepted_ids = {r["gaiji_id"] for r in exported.build.rows if r["auto_accepted"] == "1"}
    result.counts = {
        "gaiji": len(gset),
        "matched": len(best),
        "auto_accepted": accept_counts["auto_accepted"],
        "no_match_suggested": sum(1 for row in best.values() if _no_match(row) >= NO_MATCH_SUGGEST),
        "ranked_to_added_set": sum(1 for row in best.values() if _in_added_set(row)),
        "stale_auto_accepts": accept_counts["stale_auto_accepts"],
        "final": exported.final,
        "open": accept_counts["open"],
        "converted": converted[0].converted if converted else 0,
        "unmapped": converted[0].unmapped if converted else 0,
    }
    result.eudc_source = converted[1] if converted else ""
    clock.run("report", lambda: _html(result, gset, best, reference, accepted_ids, final_ids, ref_sets))
    return result
