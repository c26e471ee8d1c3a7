"""`gaiji demo` — the whole pipeline on the bundled sample municipality (thin: one library call)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from gaiji.cli.base import cli, home_option, quiet_option
from gaiji.progress import Progress


@cli.command("demo")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("demo-out"), show_default=True, help="Folder for everything the demo writes.")
@home_option
@quiet_option
def demo_command(out_dir: Path, home: Path | None, progress: Progress) -> None:
    """Run the pipeline end to end on the bundled sample municipality.

    Builds (or reuses) the MJ reference, adds the bundled reference set HanaExt (characters
    IPAmj lacks, as 行政事務標準文字 adds them to MJ) into the demo's own working home
    OUT/reference-home (the shared reference is not modified), extracts the sample's EUDC font,
    CP932 ledger and BDF font, matches every gaiji over MJ and the added sets, auto-accepts only what the matcher is confident of,
    exports the mapping table of the accepted rows, converts a small resident file with it,
    and writes an HTML report. Rerunning keeps decisions made at the review desk meanwhile.

    Example:

    \b
        gaiji demo
        gaiji demo -o /tmp/demo && xdg-open /tmp/demo/report.html
    """
    from gaiji.demo import STAGES, StageTiming, run_demo

    quiet = getattr(progress, "__name__", "") == "no_progress"

    def on_stage(stage: str, timing: StageTiming | None) -> None:
        if quiet:
            return
        number = f"[{STAGES.index(stage) + 1}/{len(STAGES)}]" if stage in STAGES else "[ ]"
        if timing is None:
            click.echo(f"{number} {stage} …", err=True)
        else:
            click.echo(f"{number} {stage}: {timing.note} ({timing.seconds:.1f} s)", err=True)

    started = time.monotonic()
    result = run_demo(out_dir, home=home, progress=progress, on_stage=on_stage)
    c = result.counts
    click.echo("")
    click.echo(f"gaiji demo — done in {time.monotonic() - started:.1f} s ({result.reference_version})")
    click.echo(f"  {c['gaiji']} gaiji extracted, {c['matched']} matched, {c['auto_accepted']} auto-accepted, "
               f"{c['open']} left for review")
    if c.get("stale_auto_accepts"):
        click.echo(f"  note:          {c['stale_auto_accepts']} of them come from an earlier run and are no longer "
                   "proposed by the matcher; check them at the review desk")
    if "auto_accepted_right" in c:
        click.echo(f"  answer key:    {c['auto_accepted_right']} of {c['auto_accepted']} auto-accepts agree with the "
                   "sample's known answers (no stage reads them)")
    if "set_only" in c:
        click.echo(f"  added set:     {c['set_only_at_1']} of the {c['set_only']} gaiji only {', '.join(result.ref_sets[:1])} "
                   f"has are ranked first to their set entry (set@1); {c['set_only_auto_accepted']} auto-accepted")
    if c.get("no_match_suggested"):
        right = (f"; {c['no_match_suggested_right']} of them are among the sample's gaiji with no MJ equivalent"
                 if "no_match_suggested_right" in c else "")
        click.echo(f"  該当なし:       suggested for {c['no_match_suggested']} gaiji (no MJ glyph verified as the same "
                   f"character){right}")
    click.echo(f"  mapping table: {result.mapping} ({c['final']} final rows; open ones in "
               f"{result.mapping_report.name})")
    click.echo(f"  converted:     {result.converted} ({c['converted']} gaiji converted, {c['unmapped']} "
               "still private-use until reviewed)")
    click.echo(f"  report:        {result.html_report}")
    click.echo("")
    click.echo("Next:")
    steps = result.next_steps()
    width = max(len(why) for why, _ in steps) + 1
    for why, cmd in steps:
        click.echo(f"  {(why + ':').ljust(width)}  {cmd}")
