"""`gaiji bench` — benchmarks that print numbers (thin: one library call per command)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gaiji.cli.base import cli, home_option, json_option, quiet_option
from gaiji.progress import Progress


@cli.group()
def bench() -> None:
    """Benchmarks that print numbers, each beside a naive baseline measured in the same run.

    Example:

        gaiji bench match --small
    """


@bench.command("match")
@click.option("--per-subset", type=click.IntRange(10, 100_000), default=1500, show_default=True,
              help="Queries per subset (13 subsets, one of them glyphs with no MJ equivalent).")
@click.option("--small", is_flag=True, help="A quick run for CI: 60 queries per subset.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed for choosing and degrading glyphs.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the generated gaiji set (glyphs.csv, PNGs, answers.csv) in this folder.")
@click.option("--rebuild-index", is_flag=True, help="Rebuild the match index first and time it.")
@click.option("--repeat", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Timed runs; speed is the best of them (accuracy does not change).")
@home_option
@json_option
@quiet_option
def bench_match(per_subset: int, small: bool, seed: int, keep: Path | None, rebuild_index: bool,
                repeat: int, home: Path | None, as_json: bool, progress: Progress) -> None:
    """Accuracy and speed of `gaiji match` on a labelled set from fonts it never learned from
    nor was calibrated on (the font-level split is printed first).

    Queries come from Hanazono Mincho (incl. IVS variants), Noto Serif/Sans CJK JP and Klee One
    as outlines, 12–32 px bitmaps, synthetic scans and hand-drawn bitmaps, from real 12, 14, 16
    and 24 px bitmap fonts (Shinonome, JIS X 0212 fonts), from two designs unlike any the
    matcher learned from or was calibrated on (Oradano Mincho, Konatu), plus glyphs with no MJ equivalent
    (characters IPAmj lacks, mirrored glyphs). They are written as a real gaiji set with
    ledger readings and matched by the new matcher (v2, with and without readings) and the old
    one (v1) side by side. Prints per subset MJ@1/10, UCS@1, auto-accept share, precision and
    its 95 % lower bound, the 該当なし share; then `gaiji match` end to end in a new process
    (start, index load, PNGs from disk, CSV written) for both matchers beside a plain baseline.

    Example:

        gaiji bench match --small

        gaiji bench match --per-subset 1500 --rebuild-index --json > bench.json
    """
    from gaiji.match.bench import run_match_bench
    from gaiji.reference import load_reference

    report = run_match_bench(
        load_reference(home), per_subset=60 if small else per_subset, seed=seed, work_dir=keep,
        rebuild_index=rebuild_index, repeat=1 if small else repeat, progress=progress,
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=float))
    else:
        click.echo(report.format_text())
