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


@cli.command("export")
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
                   expect_head: str | None, witness: Path | None, trusted_keys: tuple[str, ...],
                   allow_unsigned: bool, home: Path | None, progress: Progress) -> None:
    """Write the mapping table of SET's final review decisions for the vendor.

    One row per gaiji: source and code, MJ文字図形名, UCS, IVS, the character, its 縮退
    fallback and basis, 住基ネット統一文字コード, 戸籍統一文字番号, 同定区分, who decided and
    checked, when, and the reference version. Pending and disputed gaiji are listed in the
    report. A review record whose audit chain does not verify is refused (see `gaiji review
    log SET --verify`: hashes, the desk's signatures, heads witnessed outside the set); the
    chain head goes into every row (review_chain_head). Columns: mappings/README.md.

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
                       ("reference-changed", "were decided against another reference version")):
        n = result.count(kind)
        if n:
            counts.append(f"{n} {what}")
    click.echo(f"wrote {result.path} ({result.format}, {result.rows} rows): {', '.join(counts)}", err=True)
    click.echo(f"report: {result.report_path}", err=True)


@cli.command("validate")
@click.argument("mapping", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "json", "xml"]), default=None,
              help="Format when the file name does not say.")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto", show_default=True,
              help="CSV/TSV encoding (auto: UTF-8, with or without BOM).")
@click.option("--schema-only", is_flag=True, help="Skip the checks against the MJ reference.")
@home_option
@json_option
def validate_command(mapping: Path, fmt: str | None, encoding: str, schema_only: bool,
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
        report = validate_mapping(mapping, reference, encoding=encoding, fmt=fmt)
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
@click.option("--source", default=None, help="Use only the mapping rows of this source (when codes clash).")
@click.option("--encoding", type=click.Choice(["auto", "cp932", "utf-8"]), default="auto", show_default=True,
              help="Encoding of DATA (auto: BOM, else UTF-8 if the first non-ASCII chunk is, "
                   "else CP932; EUC-JP is refused).")
@click.option("--mapping-encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto",
              help="Encoding of a CSV/TSV mapping table.")
@click.option("--bom", is_flag=True, help="Start each output with a UTF-8 byte order mark.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV of unconverted gaiji (file, line, column, code) "
                   "[default: OUTPUT.unmapped.csv or OUT_DIR/unmapped.csv].")
@click.option("--allow-unmapped", is_flag=True, help="Exit 0 even when some gaiji could not be converted.")
@quiet_option
def convert_command(data: tuple[Path, ...], mapping: Path, output: Path | None, out_dir: Path | None,
                    fallback: bool, source: str | None, encoding: str, mapping_encoding: str, bom: bool,
                    report_path: Path | None, allow_unmapped: bool, progress: Progress) -> None:
    """Rewrite legacy DATA files (CSV/TSV/text; CP932 with user-defined-area codes or UTF-8
    with private-use code points) into UTF-8 with the mapped UCS + IVS.

    Streams in constant memory and writes atomically. A gaiji without a usable mapping stays
    as its private-use code point and is listed in the report (file, line, column, code);
    the exit status is then 1 unless --allow-unmapped.

    Example:

    \b
        gaiji convert residents.csv --mapping mapping.csv -o residents.utf8.csv
        gaiji convert data/*.txt --mapping mapping.json --out-dir converted/ --fallback
    """
    from gaiji.export.convert import convert_files, load_conversion_table

    if (output is None) == (out_dir is None):
        raise click.UsageError("give either -o OUTPUT (one DATA file) or --out-dir DIR")
    table = load_conversion_table(mapping, source=source, fallback=fallback, encoding=mapping_encoding)
    result = convert_files(data, table, output=output, out_dir=out_dir, report_path=report_path,
                           encoding=encoding, bom=bom, progress=progress)
    for f in result.files:
        click.echo(f"{f.input} → {f.output} ({f.encoding}, {f.bytes_in:,} bytes, {f.lines:,} lines): "
                   f"{f.converted:,} gaiji converted, {f.unmapped:,} not", err=True)
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
        if not allow_unmapped:
            sys.exit(1)
