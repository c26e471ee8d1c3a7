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
        gaiji reference search U+2A70C       # also finds it in added sets (id, char, U+, reading)
    """
    from gaiji.reference import load_reference
    from gaiji.reference.present import format_table, set_summary_row, summary_row
    from gaiji.reference.refsets import load_sets

    text = " ".join(query)
    records = load_reference(home).search(_require_query(text), limit=limit)
    set_hits = [set_summary_row(r) for s in load_sets(home) for r in s.search(text, limit=limit)]
    if as_json:
        click.echo(json.dumps([summary_row(r) for r in records] + set_hits, ensure_ascii=False, indent=2))
        return
    if not records and not set_hits:
        click.echo(f"no MJ character matches {text!r}; try {QUERY_FORMS}", err=True)
        raise SystemExit(1)
    if records:
        click.echo(format_table([summary_row(r) for r in records]))
    if set_hits:
        click.echo(("\n" if records else "") + "added reference sets:\n" + format_table(set_hits))


@reference.command("add-set")
@click.argument("name")
@click.option("--font", "fonts", multiple=True, required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A font that draws the set (TrueType/OpenType); repeat for several.")
@click.option("--table", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The set's character list: .csv (UTF-8, CP932 or UTF-16) or .xlsx.")
@click.option("--columns", multiple=True, metavar="FIELD=COLUMN",
              help="Name a column the defaults do not find, e.g. --columns id=字形番号 (fields: id, code, "
                   "ivs, char, glyph, font, readings, radical, inner_strokes, strokes, related_mj, "
                   "related_ucs, koseki, juki, note).")
@click.option("--sheet", default=None, help="Sheet of an .xlsx list (default: the first).")
@click.option("--encoding", default=None, help="Encoding of a CSV list when detection fails (e.g. cp932).")
@click.option("--force", is_flag=True, help="Rebuild even if the set is up to date.")
@click.option("--workers", type=int, default=None, help="Rendering processes (default: all cores, at most 4).")
@home_option
@json_option
@quiet_option
def add_set(name: str, fonts: tuple[Path, ...], table: Path, columns: tuple[str, ...], sheet: str | None,
            encoding: str | None, force: bool, workers: int | None, home: Path | None, as_json: bool,
            progress: Progress) -> None:
    """Add a character set beside the MJ reference (行政事務標準文字 / MJ+, a vendor's set, …).

    Its glyphs are rendered through the same canonical normalisation as IPAmj and joined to
    the list's rows (identifier, UCS / IVS or private-use code, glyph name, readings, radical
    and strokes, related MJ / UCS). Rows without a glyph, glyphs without a row and duplicates
    are reported row by row (all of them in NAME/report.csv). The files are recorded by
    SHA-256, never copied. The MJ reference and its match index are not touched; `gaiji match`
    ranks the set's glyphs too. The list's format: README → Reference sets.

    \b
    Example:
        gaiji reference add-set MJplus --font 行政事務標準当用明朝.ttf --font 追加フォント.ttf --table 文字一覧.xlsx
        gaiji reference add-set HanaExt --font gaiji/sample/refset/refset-sample.ttf --table gaiji/sample/refset/refset.csv
    """
    from gaiji.reference.refsets import add_set as add_reference_set
    from gaiji.reference.settable import parse_column_overrides

    s = add_reference_set(name, list(fonts), table, home=home, columns=parse_column_overrides(columns), sheet=sheet,
                          encoding=encoding, force=force, workers=workers, progress=progress)
    if as_json:
        click.echo(json.dumps(s.as_dict(), ensure_ascii=False, indent=2))
    state = "up to date (nothing to do)" if s.skipped else f"added in {s.seconds:.1f} s"
    lines = [f"set {s.name} {state}: {s.path}",
             f"  list rows:                   {s.rows:,}",
             f"  rows joined to a glyph:      {s.rows_with_glyph:,}"]
    labels = (("row_without_glyph", "rows without a glyph"), ("glyph_without_row", "glyphs without a row"),
              ("duplicate_id", "duplicate identifiers (left out)"), ("duplicate_code", "duplicate codes (kept)"),
              ("same_glyph", "rows on one glyph (kept)"), ("bad_value", "unreadable values"),
              ("blank_glyph", "blank glyphs"))
    lines += [f"  {label + ':':<34}{s.counts.get(kind, 0):,}" for kind, label in labels]
    shown = [r for r in s.report if r.kind != "glyph_without_row"][:20]
    for r in shown:
        where = f"row {r.line}" if r.line else r.font
        lines.append(f"  {r.kind}: {where} {r.id} {r.code} {r.glyph} — {r.detail}".rstrip())
    if len(s.report) > len(shown):
        lines.append(f"  … every item: {s.path / 'report.csv'}")
    click.echo("\n".join(lines), err=True)


@reference.command("sets")
@home_option
@json_option
def sets(home: Path | None, as_json: bool) -> None:
    """List the character sets added beside the MJ reference.

    \b
    Example:
        gaiji reference sets
        gaiji reference sets --json
    """
    from gaiji.reference.refsets import list_sets

    found = list_sets(home)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no added sets (only MJ); add one with `gaiji reference add-set`", err=True)
        return
    for s in found:
        click.echo(f"{s.name}\t{s.rows:,} rows ({s.rows_with_glyph:,} with a glyph)\tfonts: {', '.join(s.fonts)}\t"
                   f"list: {s.table}\tbuilt {s.built_at}\t{s.size_bytes / 1e6:.1f} MB")


@reference.command("remove-set")
@click.argument("name")
@home_option
def remove_set(name: str, home: Path | None) -> None:
    """Take an added set out of the reference (its folder and cached features; your font and
    list files are not touched).

    \b
    Example:
        gaiji reference remove-set MJplus
    """
    from gaiji.reference.refsets import remove_set as remove_reference_set

    path = remove_reference_set(name, home)
    click.echo(f"removed set {name} ({path})", err=True)


@reference.command("diff")
@click.argument("old", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the changes here instead of stdout (JSON with --json: the input of `gaiji review recheck`).")
@json_option
def diff(old: Path, new: Path, output: Path | None, as_json: bool) -> None:
    """List what changed between two builds of a reference: entries added, removed,
    re-pointed (a code such as UCS/IVS or 戸籍統一文字番号 changed) and glyph changed.

    OLD and NEW are MJ reference folders (GAIJI_HOME/reference, or GAIJI_HOME itself) or two
    builds of one added set (GAIJI_HOME/reference_sets/NAME).

    \b
    Example:
        gaiji reference diff /backup/glyph_db glyph_db
        gaiji reference diff old/reference_sets/MJplus glyph_db/reference_sets/MJplus --json -o diff.json
    """
    from gaiji.fsutil import atomic_write
    from gaiji.reference.diff import KINDS, diff_builds

    d = diff_builds(old, new)
    if as_json:
        text = json.dumps(d.as_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = "".join(f"{c.kind}\t{c.id}\t{c.field}\t{c.old}\t{c.new}\n" for c in d.changes)
    if output:
        with atomic_write(output) as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    counts = ", ".join(f"{d.count(k)} {k}" for k in KINDS)
    note = "" if d.rasters_compared else " (rendered with different render versions: glyphs not compared)"
    click.echo(f"{d.reference_set}: {d.old} → {d.new}: {counts}{note}", err=True)
