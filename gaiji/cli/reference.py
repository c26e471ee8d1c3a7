"""`gaiji reference …` — build and query the MJ reference glyph database."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gaiji.cli.base import cli, home_option, json_option, quiet_option
from gaiji.progress import Progress


@cli.group()
def reference() -> None:
    """Build and query the MJ reference (IPAmj明朝 glyphs + the MJ文字情報一覧表)."""


@reference.command("build")
@home_option
@click.option("--font", type=click.Path(dir_okay=False, path_type=Path), envvar="GAIJI_IPAMJ_FONT",
              help="ipamjm.ttf to use (default: Debian fonts-ipamj-mincho; env GAIJI_IPAMJ_FONT).")
@click.option("--allow-unpinned", is_flag=True, help="Accept sources whose SHA-256 differs from the pins.")
@click.option("--force", is_flag=True, help="Rebuild even if the database is up to date.")
@click.option("--workers", type=int, default=None, help="Rendering processes (default: all cores).")
@quiet_option
def build(home: Path | None, font: Path | None, allow_unpinned: bool, force: bool, workers: int | None,
          progress: Progress) -> None:
    """Render every MJ glyph and join the MJ table into the reference database.

    Idempotent: with unchanged sources it only checks and reports.

    \b
    Example:
        gaiji reference build
        GAIJI_HOME=/data/gaiji gaiji reference build --font ~/fonts/ipamjm.ttf
    """
    from gaiji.reference import build_reference

    s = build_reference(home, font=font, allow_unpinned=allow_unpinned, force=force, workers=workers,
                        progress=progress)
    state = "up to date (nothing to do)" if s.skipped else f"built in {s.seconds:.1f} s"
    click.echo(
        f"reference {state}: {s.home}\n"
        f"  IPAmj glyphs (mj…):          {s.glyphs_in_font:,}\n"
        f"  MJ table rows (mji):         {s.table_rows:,} (+{s.hentaigana_rows:,} hentaigana rows, mjih)\n"
        f"  rows joined to a glyph:      {s.rows_joined:,}\n"
        f"  rows without a glyph:        {s.rows_without_glyph:,}\n"
        f"  glyphs without a row:        {s.glyphs_without_row:,}\n"
        f"  rows without a character:    {s.rows_without_ucs:,}\n"
        f"  blank glyphs:                {s.blank_glyphs:,}\n"
        f"  total reference rows:        {s.total_rows:,}   size on disk {s.size_bytes / 1e6:.0f} MB",
        err=True,
    )


QUERY_FORMS = (
    "an MJ number (MJ + 6 digits, e.g. MJ030302), a character, U+XXXX, J+XXXX (住基), "
    "a 戸籍 number, a reading in kana, a radical + inner strokes (辶+2) or IDS components"
)


def _require_query(text: str) -> str:
    if not text.strip():
        raise click.UsageError(f"the query is empty; give {QUERY_FORMS}")
    return text


@reference.command("show")
@click.argument("query")
@home_option
@json_option
@click.option("--limit", default=5, show_default=True, help="Show at most this many records.")
def show(query: str, home: Path | None, as_json: bool, limit: int) -> None:
    """Show everything the MJ table says about the characters QUERY finds.

    QUERY is anything `gaiji reference search` accepts.

    \b
    Example:
        gaiji reference show MJ030302
        gaiji reference show 辻
    """
    from gaiji.errors import GaijiError
    from gaiji.reference import load_reference
    from gaiji.reference.present import format_record

    records = load_reference(home).search(_require_query(query), limit=limit)
    if not records:
        raise GaijiError(f"nothing in the MJ table matches {query!r}; try {QUERY_FORMS}")
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in records], ensure_ascii=False, indent=2))
        return
    click.echo("\n\n".join(format_record(r) for r in records))


@reference.command("search")
@click.argument("query", nargs=-1, required=True)
@home_option
@json_option
@click.option("--limit", default=50, show_default=True, help="Show at most this many hits.")
def search(query: tuple[str, ...], home: Path | None, as_json: bool, limit: int) -> None:
    """Find MJ characters by MJ number, character (± IVS), U+XXXX, 住基/戸籍 code,
    reading (any kana form), radical + inner strokes, or IDS components.

    \b
    Example:
        gaiji reference search つじ          # reading: hiragana, katakana or ﾊﾝｶｸ
        gaiji reference search 辻            # every MJ glyph of 辻 (its IVS variants)
        gaiji reference search U+9AD9        # 髙
        gaiji reference search J+FA66        # 住基ネット統一文字コード
        gaiji reference search 437570        # 戸籍統一文字番号
        gaiji reference search 辶+2          # radical (number or form) + inner strokes
        gaiji reference search component:辶  # IDS component; or several: 辶十
    """
    from gaiji.reference import load_reference
    from gaiji.reference.present import format_table, summary_row

    text = " ".join(query)
    records = load_reference(home).search(_require_query(text), limit=limit)
    if as_json:
        click.echo(json.dumps([summary_row(r) for r in records], ensure_ascii=False, indent=2))
        return
    if not records:
        click.echo(f"no MJ character matches {text!r}; try {QUERY_FORMS}", err=True)
        raise SystemExit(1)
    click.echo(format_table([summary_row(r) for r in records]))
