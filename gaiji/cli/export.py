"""`gaiji export`, `gaiji validate`, `gaiji convert` — thin: parse options, call one library
function, print a summary on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gaiji.cli.base import cli, home_option, json_option, quiet_option
from gaiji.errors import GaijiError
from gaiji.progress import Progress


def _load_reference(home: Path | None):  # type: ignore[no-untyped-def]
    from gaiji.reference import load_reference

    return load_reference(home)


class _DefaultSubcommand(click.Group):
    """`gaiji export SET -o …` stays as it was: anything that is not a subcommand name goes to
    `gaiji export table`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["table", *args]
        return super().parse_args(ctx, args)


@cli.group("export", cls=_DefaultSubcommand)
def export_group() -> None:
    """Write the mapping table of a set (`gaiji export SET -o mapping.csv`, the same as
    `gaiji export table`), compare two versions (`diff`) or merge municipalities' tables (`merge`).

    Example:

    \b
        gaiji export city-set -o mapping.csv
        gaiji export diff mapping-v1.csv mapping-v2.csv
        gaiji export merge north.csv south.csv -o region.csv --prefix-sources
    """


@export_group.command("table")
@click.argument("set_dir", metavar="SET", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Mapping table to write: .csv, .tsv, .json or .xml.")
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "json", "xml"]), default=None,
              help="Format when the file name does not say.")
@click.option("--encoding", type=click.Choice(["utf-8", "cp932"]), default="utf-8", show_default=True,
              help="CSV/TSV encoding. CP932 refuses (naming the rows) characters it cannot hold.")
@click.option("--bom", is_flag=True, help="Start a UTF-8 CSV/TSV with a byte order mark (for Excel).")
@click.option("--include-pending", is_flag=True,
              help="Also write pending and disputed gaiji, marked in the status column.")
@click.option("--target-font", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Font of the receiving system: rows it cannot draw (IVS checked via cmap 14) "
                   "get use_fallback=1 and a fallback it can draw.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to list open and changed rows [default: OUTPUT stem + .report.csv].")
@click.option("--profile", type=click.Choice(["full", "minimal"]), default="full", show_default=True,
              help="minimal: only source, code, mj, ucs, ivs, char (CSV/TSV).")
@click.option("--allow-reference-change", is_flag=True,
              help="Export decisions made against another reference version without a `gaiji review recheck`.")
@click.option("--expect-head", default=None, metavar="HASH",
              help="A review chain head seen outside the set (contact sheet, earlier table): refuse a "
                   "record that does not contain it (rolled back).")
@click.option("--witness", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The desk's witness file (default: $GAIJI_REVIEW_WITNESS): refuse a record behind it.")
@click.option("--trust-key", "trusted_keys", multiple=True, metavar="KEYID:PUBLICHEX",
              help="Trust events signed by this desk key too (from `gaiji review key` on the desk's machine).")
@click.option("--allow-unsigned", is_flag=True, help="Accept a review record written before events were signed.")
@home_option
@quiet_option
def export_command(set_dir: Path, output: Path, fmt: str | None, encoding: str, bom: bool,
                   include_pending: bool, target_font: Path | None, report_path: Path | None,
                   profile: str, allow_reference_change: bool,
                   expect_head: str | None, witness: Path | None, trusted_keys: tuple[str, ...],
                   allow_unsigned: bool, home: Path | None, progress: Progress) -> None:
    """Write the mapping table of SET's final review decisions for the vendor.

    One row per gaiji: source and code, MJ文字図形名, UCS, IVS, the character, its 縮退
    fallback and basis, 住基ネット統一文字コード, 戸籍統一文字番号, 同定区分, who decided and
    checked, when, and the reference version. Pending and disputed gaiji are listed in the
    report. A review record whose audit chain does not verify is refused (see `gaiji review
    log SET --verify`), and so are decisions made against another reference version until
    `gaiji review recheck` (or --allow-reference-change). Columns: mappings/README.md.
    log SET --verify`: hashes, the desk's signatures, heads witnessed outside the set), and so
    are decisions made against another reference version until `gaiji review recheck` (or
    --allow-reference-change); the chain head goes into every row (review_chain_head).
    Columns: mappings/README.md.

    Example:

    \b
        gaiji export demo-out/set -o mapping.csv --bom
        gaiji export demo-out/set -o mapping.xml --target-font /usr/share/fonts/opentype/ipafont-mincho/ipam.ttf
    """
    from gaiji.export.mapping import export_mapping
    from gaiji.review.signing import parse_trusted_key

    result = export_mapping(
        set_dir, output, reference=_load_reference(home), fmt=fmt, encoding=encoding, bom=bom,
        include_pending=include_pending, target_font=target_font, report_path=report_path,
        profile=profile, allow_reference_change=allow_reference_change,
        trusted_keys=[parse_trusted_key(k) for k in trusted_keys], expect_head=expect_head,
        witness=witness, allow_unsigned=allow_unsigned, progress=progress,
    )
    counts = [f"{result.final} final"]
    for kind in ("pending", "disputed"):
        n = result.count(kind)
        if n:
            counts.append(f"{n} {kind}" + (" (in the table, marked)" if include_pending else " (left out)"))
    for kind, what in (("font-fallback", "use a fallback for the target font"),
                       ("font-missing", "cannot be drawn by the target font at all"),
                       ("mj-table-differs", "differ from the MJ table (exported the table's)"),
                       ("reference-changed", "were decided against another reference version"),
                       ("partial-set", "problem(s) of extract: the set is partial, gaiji may be missing")):
        n = result.count(kind)
        if n:
            counts.append(f"{n} {what}")
    click.echo(f"wrote {result.path} ({result.format}, {result.rows} rows): {', '.join(counts)}", err=True)
    for item in result.build.report:
        if item.kind == "auto-accept-audit" and not item.gaiji_id:
            click.echo(f"WARNING: {item.detail}", err=True)
    click.echo(f"report: {result.report_path}", err=True)


@export_group.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the differences as CSV here instead of stdout.")
@click.option("--ignore", multiple=True, help="A column not to compare (repeatable), e.g. --ignore checked_at.")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto", show_default=True,
              help="Encoding of CSV/TSV tables.")
def export_diff_command(old: Path, new: Path, output: Path | None, ignore: tuple[str, ...], encoding: str) -> None:
    """Compare two versions of a mapping table, gaiji by gaiji (source + code; U+E000 and
    F040 are the same gaiji): added, removed and changed rows, one CSV line per changed column
    (change, source, code, gaiji_id, column, old, new). Exit status 0 when they agree, 1 when
    they differ.

    Example:

    \b
        gaiji export diff mapping-2024.csv mapping-2025.csv -o changes.csv
    """
    from gaiji.export.lifecycle import diff_csv, diff_tables, write_diff

    diff = diff_tables(old, new, encoding=encoding, ignore=ignore)
    if output is not None:
        write_diff(diff, output)
    else:
        click.echo(diff_csv(diff), nl=False)
    click.echo(f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed", err=True)
    sys.exit(0 if diff.same else 1)


@export_group.command("merge")
@click.argument("tables", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Merged table to write: .csv, .tsv, .json or .xml.")
@click.option("--prefix-sources", is_flag=True,
              help="Keep municipalities apart: source becomes <table name>/<source> (and gaiji_id likewise).")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto", show_default=True,
              help="Encoding of CSV/TSV tables.")
def export_merge_command(tables: tuple[Path, ...], output: Path, prefix_sources: bool, encoding: str) -> None:
    """Merge the mapping tables of several municipalities into one. A gaiji (source + code)
    found in several tables with the same target is written once; with different targets it is
    a conflict: all conflicts are listed and nothing is written (exit 1).

    Example:

    \b
        gaiji export merge north.csv south.csv -o region.csv
        gaiji export merge north.csv south.csv -o region.json --prefix-sources
    """
    from gaiji.export.lifecycle import merge_tables

    result = merge_tables(list(tables), output, prefix_sources=prefix_sources, encoding=encoding)
    if result.conflicts:
        for c in result.conflicts:
            click.echo(f"conflict: {c}", err=True)
        raise click.ClickException(f"{len(result.conflicts)} conflict(s); nothing was written. Settle them in the "
                                   "tables, or pass --prefix-sources if the tables are different municipalities")
    click.echo(f"wrote {result.path}: {len(result.rows)} rows from {len(tables)} tables "
               f"({result.duplicates} duplicate row(s) written once)", err=True)


@cli.command("validate")
@click.argument("mapping", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "json", "xml"]), default=None,
              help="Format when the file name does not say.")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto", show_default=True,
              help="CSV/TSV encoding (auto: UTF-8, with or without BOM).")
@click.option("--schema-only", is_flag=True, help="Skip the checks against the MJ reference.")
@click.option("--profile", type=click.Choice(["full", "minimal"]), default="full", show_default=True,
              help="minimal: a CSV/TSV table of source, code, mj, ucs, ivs, char only.")
@home_option
@json_option
def validate_command(mapping: Path, fmt: str | None, encoding: str, schema_only: bool, profile: str,
                     home: Path | None, as_json: bool) -> None:
    """Check a mapping table (ours or a vendor's) before importing it.

    Checks the encoding, the schema (mappings/mapping.schema.json, mapping.xsd), formula
    cells, that every MJ number exists and its UCS, IVS, character, 住基 and 戸籍 numbers
    agree with the MJ table, one target per source code, no conflicting duplicates.
    Problems go to stdout, one per line, each naming its row.

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 not examined (usage error,
    unreadable file, unknown format, no MJ reference).

    Example:

    \b
        gaiji validate mapping.csv && echo "safe to import"
        gaiji validate vendor.tsv --encoding cp932
    """
    from gaiji.export.readers import MappingUnreadable
    from gaiji.export.validate import EXIT_UNREADABLE, validate_mapping

    try:
        reference = None if schema_only else _load_reference(home)
        report = validate_mapping(mapping, reference, encoding=encoding, fmt=fmt, profile=profile)
    except (MappingUnreadable, GaijiError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    if as_json:
        click.echo(json.dumps({
            "path": str(report.path), "format": report.format, "rows": report.rows,
            "valid": report.valid, "reference_version": report.reference_version,
            "problems": [{"severity": p.severity, "where": p.where, "message": p.message}
                         for p in report.problems],
        }, ensure_ascii=False, indent=1))
    else:
        for p in report.problems:
            click.echo(str(p))
    checked = "schema only" if schema_only else f"against {report.reference_version}"
    verdict = "valid" if report.valid else "INVALID"
    click.echo(f"{mapping}: {verdict} — {report.rows} rows, {len(report.errors)} errors, "
               f"{len(report.warnings)} warnings ({checked})", err=True)
    sys.exit(report.exit_code)


@cli.command("convert")
@click.argument("data", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-m", "--mapping", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="Mapping table (csv/tsv/json/xml) from `gaiji export`.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (one DATA file).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (any number of DATA files, same names).")
@click.option("--fallback", is_flag=True, help="Write every gaiji as its 縮退 fallback (no IVS) instead.")
@click.option("--source", default=None,
              help="Use only the mapping rows of this source (when codes clash). A bitmap font "
                   "(vendor16.bdf) also means DATA is keyed on its JIS codes: rows 85–94 (0x7521…) "
                   "are looked for as F040… in CP932 and F5A1… in EUC-JP data.")
@click.option("--encoding", type=click.Choice(["auto", "cp932", "utf-8", "euc-jp"]), default="auto",
              show_default=True,
              help="Encoding of DATA. auto never guesses: a BOM, else data valid in only one of UTF-8 / "
                   "CP932, else clearly Japanese UTF-8; short or ambiguous data is refused (name it here).")
@click.option("--errors", type=click.Choice(["strict", "report"]), default="strict", show_default=True,
              help="Bytes that are not text in the encoding: strict refuses the file; report converts the "
                   "rest and lists each bad byte run (line, column) in the report.")
@click.option("--bad-bytes", type=click.Choice(["replace", "keep"]), default="replace", show_default=True,
              help="With --errors report: write bad bytes as U+FFFD, or keep the original bytes.")
@click.option("--layout", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Fixed-width records: a TOML layout (record_length, line_end, [[field]] name/offset/"
                   "length/encoding). Each field is converted on its own and padded back, so every record "
                   "keeps its byte length; a field that no longer fits is reported.")
@click.option("--mapping-encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto",
              help="Encoding of a CSV/TSV mapping table.")
@click.option("--bom", is_flag=True, help="Start each output with a UTF-8 byte order mark.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV of unconverted gaiji (file, line, column, code) "
                   "[default: OUTPUT.unmapped.csv or OUT_DIR/unmapped.csv].")
@click.option("--allow-unmapped", is_flag=True, help="Exit 0 even when some gaiji could not be converted.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes (this one included) converting each large file (16 MB or more); the output is the same with "
                   "any number; when other work keeps the cores busy this one converts the file alone "
                   "[default: the cores, at most 4].")
@quiet_option
def convert_command(data: tuple[Path, ...], mapping: Path, output: Path | None, out_dir: Path | None,
                    fallback: bool, source: str | None, encoding: str, errors: str, bad_bytes: str,
                    layout: Path | None, mapping_encoding: str, bom: bool, report_path: Path | None,
                    allow_unmapped: bool, workers: int | None, progress: Progress) -> None:
    """Rewrite legacy DATA files (CSV/TSV/text; CP932 with user-defined-area codes or UTF-8
    with private-use code points) into UTF-8 with the mapped UCS + IVS.

    Streams in constant memory and writes atomically. A gaiji without a usable mapping stays
    as its private-use code point and is listed in the report (file, line, column, code);
    the exit status is then 1 unless --allow-unmapped. A file that cannot be converted
    leaves nothing under its name; the others are still written, every file is in the
    report, and the exit status is 1. Fixed-width records: --layout (see README).

    Example:

    \b
        gaiji convert residents.csv --mapping mapping.csv -o residents.utf8.csv
        gaiji convert data/*.txt --mapping mapping.json --out-dir converted/ --fallback
        gaiji convert old.txt -m mapping.csv -o new.txt --encoding cp932 --errors report
        gaiji convert x11.txt -m mapping.csv -o new.txt --encoding euc-jp --source vendor16.bdf
        gaiji convert JUMIN.DAT -m mapping.csv -o JUMIN.utf8.DAT --layout jumin.toml
    """
    from gaiji.export.convert import ConvertFailed, convert_files, load_conversion_table

    if (output is None) == (out_dir is None):
        raise click.UsageError("give either -o OUTPUT (one DATA file) or --out-dir DIR")
    table = load_conversion_table(mapping, source=source, fallback=fallback, encoding=mapping_encoding)
    if layout is not None:
        _convert_fixed(data, output, layout, table, report_path, errors, allow_unmapped, progress)
        return
    failure: ConvertFailed | None = None
    try:
        result = convert_files(data, table, output=output, out_dir=out_dir, report_path=report_path,
                               encoding=encoding, bom=bom, errors=errors, bad_bytes=bad_bytes,
                               progress=progress, workers=workers)
    except ConvertFailed as exc:
        failure, result = exc, exc.result
    for f in result.files:
        if f.error:
            click.echo(f"{f.input}: NOT converted, nothing written to {f.output}", err=True)
            continue
        bad = f", {f.bad_bytes:,} bad byte run(s) reported" if f.bad_bytes else ""
        click.echo(f"{f.input} → {f.output} ({f.encoding}, {f.bytes_in:,} bytes, {f.lines:,} lines): "
                   f"{f.converted:,} gaiji converted, {f.unmapped:,} not{bad}", err=True)
    if result.not_addressable:
        click.echo(f"note: {len(result.not_addressable)} mapping code(s) are not PUA / Shift_JIS user-area "
                   f"codes and were not looked for: {', '.join(result.not_addressable[:10])}", err=True)
    if result.unmapped:
        for o in result.first_unmapped:
            click.echo(f"unmapped: {o.file}:{o.line}:{o.column}: {o.code} ({o.unicode}) — {o.reason}", err=True)
        shown = len(result.first_unmapped)
        if result.unmapped > shown:
            click.echo(f"… and {result.unmapped - shown:,} more", err=True)
        codes = ", ".join(f"{c}×{n}" for c, n in result.unmapped_by_code.most_common(10))
        click.echo(f"{result.unmapped:,} gaiji occurrence(s) not converted ({codes}); all listed in "
                   f"{result.report_path}. They stay in the output as private-use code points.", err=True)
    if failure is not None:
        raise click.ClickException(str(failure))
    if result.bad_bytes:
        click.echo(f"{result.bad_bytes:,} run(s) of bytes that are not text were reported in {result.report_path}",
                   err=True)
        sys.exit(1)
    if result.unmapped and not allow_unmapped:
        sys.exit(1)


def _convert_fixed(data: tuple[Path, ...], output: Path | None, layout: Path, table, report_path,  # type: ignore[no-untyped-def]
                   errors: str, allow_unmapped: bool, progress: Progress) -> None:
    from gaiji.export.fixedwidth import convert_fixed_width, read_layout

    if len(data) != 1 or output is None:
        raise click.UsageError("--layout converts one DATA file to -o OUTPUT")
    stats = convert_fixed_width(data[0], read_layout(layout), table, output=output, report_path=report_path,
                                errors=errors, progress=progress)
    click.echo(f"{stats.input} → {stats.output} ({stats.records:,} records, byte lengths kept): "
               f"{stats.converted:,} gaiji converted, {stats.unmapped:,} not, {stats.overflows:,} field(s) "
               f"too long, {stats.bad:,} bad byte run(s)", err=True)
    if stats.rows:
        click.echo(f"listed in {output.with_name(output.name + '.unmapped.csv') if report_path is None else report_path}",
                   err=True)
    if stats.overflows or stats.bad or (stats.unmapped and not allow_unmapped):
        sys.exit(1)
