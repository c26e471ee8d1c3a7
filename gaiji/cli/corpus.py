"""`gaiji corpus …` — many municipalities' gaiji sets as one corpus, run on Dask (thin)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gaiji.cli.base import cli, home_option, json_option, quiet_option
from gaiji.progress import Progress

corpus_argument = click.argument("corpus", metavar="CORPUS", type=click.Path(file_okay=False, path_type=Path))


def engine_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--scheduler ADDRESS`` / ``--workers N``: where the Dask tasks run."""

    @click.option("--scheduler", metavar="ADDRESS", default=None,
                  help="Run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786) instead of an "
                       "embedded LocalCluster. Workers must see CORPUS and GAIJI_HOME at the same paths.")
    @click.option("--workers", type=click.IntRange(1, 256), default=None,
                  help="Worker processes of the embedded LocalCluster [default: one per core, at most 8].")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("scheduler") and kwargs.get("workers"):
            raise click.UsageError("--workers sizes the embedded cluster; with --scheduler the cluster decides")
        if logging.getLogger().getEffectiveLevel() > logging.INFO:  # Dask's own INFO chatter off unless -v
            import distributed  # noqa: F401  (it sets its loggers' levels when imported)

            for name in ("distributed", "dask"):
                logging.getLogger(name).setLevel(logging.WARNING)
        return func(*args, **kwargs)

    return wrapper


def _emit(summary: dict[str, Any], text: str, as_json: bool) -> None:
    click.echo(text, err=True)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@cli.group()
def corpus() -> None:
    """Many municipalities' gaiji sets as one corpus: shared glyphs found once, decisions reused."""


@corpus.command("add")
@corpus_argument
@click.argument("sets", metavar="SET…", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--municipality", required=True, help="The municipality's name (e.g. 千代田区).")
@click.option("--code", required=True, help="全国地方公共団体コード: 6 digits with check digit, or 5.")
@click.option("--vendor", default="", help="The vendor whose system the sets come from.")
@json_option
def add(corpus: Path, sets: tuple[Path, ...], municipality: str, code: str, vendor: str, as_json: bool) -> None:
    """Register gaiji sets (folders from `gaiji extract`) in CORPUS under one municipality.

    CORPUS is created when missing. The sets stay where they are (images are never copied).

    \b
    Example:
        gaiji corpus add national chiyoda-set --municipality 千代田区 --code 131016 --vendor A社
    """
    from gaiji.corpus.registry import add_sets

    added = add_sets(corpus, list(sets), municipality=municipality, code=code, vendor=vendor)
    summary = {"corpus": str(corpus), "added": [e.__dict__ for e in added]}
    _emit(summary, f"registered {len(added)} set(s) for {municipality} ({code}) in {corpus}", as_json)


@corpus.command("status")
@corpus_argument
@json_option
def status(corpus: Path, as_json: bool) -> None:
    """Show what CORPUS holds and how far each stage has come.

    \b
    Example:
        gaiji corpus status national --json
    """
    from gaiji.corpus.status import corpus_status

    s = corpus_status(corpus)
    text = (f"{corpus}: {s['sets']} sets, {s['municipalities']} municipalities, vendors: "
            f"{', '.join(s['vendors']) or '-'}\n"
            f"  prepared gaiji: {s['gaiji_prepared'] if s['gaiji_prepared'] is not None else 'not yet (gaiji corpus group)'}\n"
            f"  groups:         {s['groups'] if s['groups'] is not None else 'not yet (gaiji corpus group)'}\n"
            f"  candidate files: {s['candidate_files']} (gaiji corpus match)\n"
            f"  families:       {_families_line(s)}\n"
            f"  proposals:      {s['proposals'] if s['proposals'] is not None else 'not yet (gaiji corpus propose)'}"
            f"; conflict members: {s['conflict_members'] if s['conflict_members'] is not None else '-'}")
    _emit(s, text, as_json)


def _families_line(s: dict[str, Any]) -> str:
    if s["families"] is None:
        return "not yet (gaiji corpus match)"
    items = (s["groups"] or 0) - (s["groups_in_families"] or 0) + s["families"]
    return (f"{s['families']:,} (joining {s['groups_in_families']:,} groups across designs; "
            f"{items:,} review items in all)")


@corpus.command("simulate")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New corpus folder to write (sets/, corpus.json, truth.parquet).")
@click.option("--municipalities", type=click.IntRange(1, 5000), default=80, show_default=True)
@click.option("--gaiji-per", type=click.IntRange(1, 100000), default=1250, show_default=True,
              help="Gaiji per municipality on average (each varies ±30 %).")
@click.option("--seed", type=int, default=20261130, show_default=True)
@home_option
@json_option
@quiet_option
def simulate(out: Path, municipalities: int, gaiji_per: int, seed: int, home: Path | None, as_json: bool,
             progress: Progress) -> None:
    """Write a simulated national corpus: vendor glyph libraries shared by many municipalities,
    locally drawn variants, Zipf-distributed MJ characters, designs from fonts other than IPAmj.

    The truth (MJ per gaiji, how each was drawn) goes to OUTPUT/truth.parquet; no corpus stage
    reads it.

    \b
    Example:
        gaiji corpus simulate -o sim --municipalities 8 --gaiji-per 500
    """
    from gaiji.corpus.simulate import SimulationOptions, simulate_corpus
    from gaiji.reference import load_reference

    s = simulate_corpus(out, SimulationOptions(municipalities=municipalities, gaiji_per=gaiji_per, seed=seed),
                        reference=load_reference(home), progress=progress)
    _emit(s, f"simulated {s['gaiji']:,} gaiji in {s['municipalities']} municipalities "
             f"({s['distinct_mj']:,} distinct MJ) → {out}; truth: {s['truth']}", as_json)


@corpus.command("group")
@corpus_argument
@engine_options
@home_option
@json_option
@quiet_option
def group(corpus: Path, scheduler: str | None, workers: int | None, home: Path | None, as_json: bool,
          progress: Progress) -> None:
    """Find the same glyph across CORPUS's sets: identical after normalisation, then
    near-identical (shifted, rescaled), as groups with a representative and evidence.

    Writes tables/gaiji, tables/memberships (by municipality) and tables/groups. Finished
    partitions are kept: an interrupted run resumes.

    \b
    Example:
        gaiji corpus group national
        gaiji corpus group national --scheduler tcp://10.0.0.5:8786
    """
    from gaiji.corpus.pipeline import run_stages

    s = run_stages(corpus, ("group",), scheduler=scheduler, workers=workers, home=home, progress=progress)
    g = s["group"]
    _emit(s, f"{g['gaiji']:,} gaiji in {g['sets']} sets → {g['groups']:,} groups ({g['identical']:,} identical, "
             f"{g['near']:,} near-identical members, {g['blank']} blank); {s['seconds']:.1f} s on {s['engine']}",
          as_json)


@corpus.command("match")
@corpus_argument
@click.option("-k", "--top", "top_k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--no-readings", is_flag=True, help="Ignore ledger readings / radical / strokes (shape only).")
@click.option("--dedupe", is_flag=True,
              help="Rank each distinct glyph once and fan out (faster at national scale; a printed "
                   "score may differ from `gaiji match` by 0.0001 where BLAS rounds differently).")
@engine_options
@home_option
@json_option
@quiet_option
def match(corpus: Path, top_k: int, no_readings: bool, dedupe: bool, scheduler: str | None, workers: int | None,
          home: Path | None, as_json: bool, progress: Progress) -> None:
    """Write candidates for every gaiji of CORPUS: CORPUS/candidates/<set>.csv, the same
    contract (and, by default, the same bytes) as `gaiji match SET`.

    Then joins groups whose representatives rank the same MJ glyph first (none
    sibling-contested, 該当なし-suggested or below the ucs_confidence floor) into
    cross-design families, one review item each: tables/families and tables/family_groups.

    Run `gaiji corpus group` first. Review a set against them with
    `gaiji review serve SET --candidates CORPUS/candidates/<set>.csv`.

    \b
    Example:
        gaiji corpus match national
        gaiji corpus match national --dedupe --scheduler tcp://10.0.0.5:8786
    """
    from gaiji.corpus.pipeline import run_stages

    s = run_stages(corpus, ("match",), scheduler=scheduler, workers=workers, home=home, top_k=top_k,
                   use_readings=not no_readings, mode="dedupe" if dedupe else "exact", progress=progress)
    m = s["match"]
    f = m["families"]
    fam = (f"; {f['families']:,} families join {f['groups_in_families']:,} of {f['groups']:,} groups across designs "
           f"→ {f['review_items']:,} review items") if f else ""
    _emit(s, f"candidates for {m['gaiji']:,} gaiji in {m['sets']} sets ({m['distinct_units']:,} distinct glyphs, "
             f"mode {m['mode']}) → {corpus}/candidates/{fam}; {s['seconds']:.1f} s on {s['engine']}", as_json)


@corpus.command("propose")
@corpus_argument
@click.option("--include-auto", is_flag=True, help="Also reuse decisions the matcher auto-accepted.")
@json_option
def propose(corpus: Path, include_auto: bool, as_json: bool) -> None:
    """Turn final decisions in one set into proposals for the rest of each group, and flag
    groups decided differently as conflicts. A decision that confirms a family's MJ glyph is
    proposed to the family's undecided groups too (other designs; groups decided otherwise
    are split off).

    Reads every set's review.sqlite; writes tables/proposals, tables/conflicts and
    CORPUS/proposals/<set>.csv. Nothing is written into any review record.

    \b
    Example:
        gaiji corpus propose national
    """
    from gaiji.corpus.reuse import propose_corpus

    s = propose_corpus(corpus, include_auto=include_auto)
    _emit(s, f"{s['decisions']:,} final decisions in {s['decided_groups']:,} groups → {s['proposals']:,} proposals "
             f"({s['family_proposals']:,} across designs from {s['families_decided']:,} families, "
             f"{s['split_groups']:,} groups split off); "
             f"{s['conflict_groups']:,} groups in conflict ({s['conflict_members']:,} gaiji)", as_json)


@corpus.command("export")
@corpus_argument
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for OUT/<municipality code>/<set>.csv and OUT/national_groups.csv (+ national_families.csv).")
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "json", "xml"]), default="csv", show_default=True)
@home_option
@json_option
@quiet_option
def export(corpus: Path, out: Path, fmt: str, home: Path | None, as_json: bool, progress: Progress) -> None:
    """Write a mapping table per set, by municipality (final decisions only, as `gaiji export`),
    one national table of groups with their review status and family, and the family review
    sheet national_families.csv (every group's representative beside the family's MJ glyph).

    \b
    Example:
        gaiji corpus export national -o national-export
    """
    from gaiji.corpus.export import export_corpus
    from gaiji.reference import load_reference

    s = export_corpus(corpus, out, reference=load_reference(home), fmt=fmt, progress=progress)
    final = sum(t["final"] for t in s["sets"])
    fam = f", {s['families']:,} families (national_families.csv)" if s["families"] is not None else ""
    _emit(s, f"{len(s['sets'])} mapping tables ({final:,} final rows) and {s['groups']:,} groups{fam} → {out}", as_json)
