"""`gaiji extract` — read municipal gaiji sources into a gaiji set."""

from __future__ import annotations

import codecs
import json
import sys
from pathlib import Path

import click

from gaiji.cli.base import cli, json_option, quiet_option
from gaiji.errors import GaijiError
from gaiji.progress import Progress


def _known_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(f"{value!r} is not an encoding Python knows; try cp932 or utf-8") from None
    return value


def _code_ranges(ctx: click.Context, param: click.Parameter, value: str) -> tuple[tuple[int, int], ...]:
    from gaiji.extract import parse_code_ranges  # imported on use: other commands start faster

    try:
        return parse_code_ranges(value)
    except GaijiError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the gaiji set to (replaced atomically if it is already a set).",
)
@click.option(
    "--codes",
    default="pua",
    show_default=True,
    callback=_code_ranges,
    help="Fonts: code points to extract, e.g. E000-E757,F0000-FFFFD; 'pua' or 'all'.",
)
@click.option(
    "--px",
    type=click.IntRange(4, 1024),
    default=None,
    help="Fonts: pixels per em to render outlines at (default 64), or the bitmap strike to use.",
)
@click.option(
    "--encoding",
    default=None,
    callback=_known_encoding,
    help="Ledger CSV encoding (default: detect UTF-8, UTF-8 with BOM, CP932).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace an existing set even if later stages left files in it (review.sqlite, candidates).",
)
@click.option("--strict", is_flag=True, help="Write nothing if any file or glyph cannot be read.")
@json_option
@quiet_option
def extract(
    sources: tuple[Path, ...],
    output: Path,
    codes: tuple[tuple[int, int], ...],
    px: int | None,
    encoding: str | None,
    strict: bool,
    replace: bool,
    as_json: bool,
    progress: Progress,
) -> None:
    """Read gaiji SOURCES into one gaiji set (glyphs.csv + glyphs/*.png + provenance.json).

    Each SOURCE is a TrueType/OpenType font or Windows EUDC.TTE, a BDF/PCF bitmap font
    (.pcf.gz too), an image file or folder (PNG/BMP/GIF/TIFF), or a ledger CSV (外字台帳)
    with readings, usage counts and notes — recognised by content. A folder may hold all of
    these. Ids: fonts <file stem>-<code hex> (EUDC-E000), images the file stem.

    A summary goes to stderr (--json prints it to stdout). A file that cannot be read is
    named and left out; the others are still written and the exit status is 1
    (--strict: nothing is written).

    \b
    Example:
        gaiji extract EUDC.TTE 外字台帳.csv -o city-set
        gaiji extract scans/ vendor16.pcf.gz --codes all -o city-set --json
        gaiji extract "$(python -c 'import gaiji.sample as s; print(s.sample_dir())')" -o sample-set
    """
    from gaiji.extract import ExtractOptions, extract_gaiji_set

    options = ExtractOptions(
        replace_later_stages=replace,
        code_ranges=codes,
        px=px,
        encoding=encoding,
        strict=strict,
    )
    summary = extract_gaiji_set(list(sources), output, options=options, progress=progress)
    click.echo(summary.format_text(), err=True)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    if not summary.ok:
        click.echo(
            f"Error: {len(summary.failed_sources)} source(s) and {len(summary.problems)} glyph(s)/file(s) "
            f"could not be read or were left out; the set at {output} holds everything else.",
            err=True,
        )
        sys.exit(1)
