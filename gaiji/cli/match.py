"""`gaiji match` — rank MJ candidates for every gaiji of a set (thin: one library call)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gaiji.cli.base import cli, home_option, json_option, quiet_option
from gaiji.progress import Progress


@cli.command()
@click.argument("set_dir", metavar="SET", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Candidates file to write (replaced atomically).")
@click.option("-k", "--top", "top_k", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Candidates per gaiji.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True,
              help="csv (the contract) or JSON Lines (same fields, one object per row).")
@click.option("--no-readings", is_flag=True, help="Ignore ledger readings / radical / strokes (shape only).")
@click.option("--rebuild-index", is_flag=True,
              help="Rebuild the cached match index (features, projection, calibration) first.")
@click.option("--matcher", type=click.Choice(["v2", "v1"]), default="v2", show_default=True,
              help="v2: shortlist verified pair by pair, trusted confidence, no_match; v1: the earlier ranking.")
@click.option("--mj-only", is_flag=True, help="Rank MJ glyphs only, not the added reference sets (gaiji reference sets).")
@home_option
@json_option
@quiet_option
def match(set_dir: Path, output: Path, top_k: int, fmt: str, no_readings: bool, rebuild_index: bool,
          matcher: str, mj_only: bool, home: Path | None, as_json: bool, progress: Progress) -> None:
    """Rank MJ candidates for every gaiji in SET (a folder written by `gaiji extract`).

    Writes one row per (gaiji, candidate), best first: gaiji_id, rank, mj, ucs, ivs, char,
    score (0–1), confidence (calibrated, rank 1), auto_accept (1 on rank-1 rows the tool accepts
    without a reviewer: a Clopper–Pearson bound on the error per input condition), then the
    evidence (image_score, rerank_score, reading_score, reading_matched, radical_strokes_score,
    gap), reference_version, ref_set / ref_id (MJ, or an added reference set and its
    identifier), same_glyph_as, and ucs_confidence (the character is right, any variant),
    no_match (no reference glyph is the same character: suggest 該当なし), verify_score,
    matcher, stratum, evidence. Added sets (`gaiji reference add-set`) are ranked too unless
    --mj-only.

    The first run builds the match index beside the reference (under a minute on 2 cores); later
    runs load it in a second. Large sets use every core: images are read while the index
    loads, and batches are ranked and rows formatted by forked worker processes — the file is
    the same as one process writes. A summary goes to stderr (--json: to stdout, with the
    seconds of each step).

    Example:

        gaiji match city-set -o candidates.csv

        gaiji match city-set -o candidates.jsonl --format jsonl --top 5 --json
    """
    from gaiji.match.writer import match_set_to_file

    summary = match_set_to_file(
        set_dir, output, top_k=top_k, fmt=fmt, home=home, rebuild_index=rebuild_index,
        use_readings=not no_readings, ref_sets=[] if mj_only else None, progress=progress, matcher=matcher,
    )
    text = (
        f"matched {summary['gaiji']:,} gaiji ({summary['blank']} blank skipped) → {summary['rows']:,} rows "
        f"in {output}; auto-accepted {summary['auto_accepted']:,} ({100 * summary['auto_accept_share']:.1f} %); "
        f"該当なし suggested {summary['no_match_suggested']:,}"
        + (f" ({summary['edited_glyphs']:,} look like an MJ glyph mirrored or turned)" if summary.get("edited_glyphs") else "")
        + "; "
        f"{summary['seconds']:.1f} s; reference {summary['reference_version']}"
        + (f"; added sets: {', '.join(summary['ref_sets'])}" if summary.get("ref_sets") else "")
        + (_review_text(summary["for_review"]) if summary.get("for_review") else "")
    )
    click.echo(text, err=True)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


def _review_text(reasons: dict[str, int]) -> str:
    """A second line: why the open gaiji are open (gaiji.match.writer.review_reasons)."""
    parts = [f"{reasons['no_match_suggested']:,} 該当なし suggested",
             f"{reasons['which_variant']:,} \"which variant?\" (never auto-accepted)"]
    if reasons["small_bitmap"]:  # only where a small-bitmap stratum has no threshold
        parts.append(f"{reasons['small_bitmap']:,} of ≤ 16 px (never auto-accepted)")
    parts += [f"{reasons['lookalike']:,} with a look-alike of another character in MJ (never auto-accepted)",
              f"{reasons['reading_first']:,} ranked first by the ledger's reading (never auto-accepted)"]
    if reasons.get("framed"):
        parts.append(f"{reasons['framed']:,} with lines along the picture's edges (never auto-accepted)")
    if reasons.get("cut_off"):
        parts.append(f"{reasons['cut_off']:,} with a piece of ink cut off at the picture's edge left out "
                     "(a neighbouring cell's glyph?; never auto-accepted)")
    if reasons.get("colour_marks"):
        parts.append(f"{reasons['colour_marks']:,} with marks in colour taken out (never auto-accepted)")
    parts.append(f"{reasons['below_threshold']:,} below the auto-accept threshold")
    return f"\n  left for review: {reasons['total']:,} — {', '.join(parts)}"
