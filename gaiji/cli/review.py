"""`gaiji review …` — the browser review desk, its audit trail and the paper contact sheet."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gaiji.cli.base import cli, home_option, json_option, quiet_option
from gaiji.progress import Progress

set_argument = click.argument("set_dir", metavar="SET", type=click.Path(exists=True, file_okay=False, path_type=Path))
candidates_option = click.option(
    "--candidates", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="Candidates CSV from `gaiji match` (default: SET/candidates.csv).",
)


@cli.group()
def review() -> None:
    """Review candidates in the browser, with two-person checking and an audit trail."""


@review.command("serve")
@set_argument
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs reviewer accounts (add-reviewer).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
@click.option("--witness", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append every event's chain head to this file (default: $GAIJI_REVIEW_WITNESS); keep it "
                   "where reviewers cannot write.")
@click.option("--signing-key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The desk's Ed25519 key (default: $GAIJI_REVIEW_KEY, else "
                   "~/.config/gaiji/review-signing-key.pem; created on first use).")
@click.option("--secure-cookies", is_flag=True,
              help="Mark the session cookie Secure: use behind an HTTPS reverse proxy (the browser then "
                   "sends it over HTTPS only).")
@candidates_option
@click.option("--proposals", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Corpus proposals for this set (CORPUS/proposals/<set>.csv from `gaiji corpus propose`), "
                   "shown beside each gaiji as evidence; never recorded as a decision.")
@home_option
def serve(set_dir: Path, host: str, port: int, no_browser: bool, witness: Path | None, signing_key: Path | None,
          secure_cookies: bool, candidates: Path | None, proposals: Path | None, home: Path | None) -> None:
    """Start the review desk for SET (decisions go to SET/review.sqlite).

    Every asset is served locally, so it works on a closed network. Stop it with Ctrl+C;
    every decision the page confirmed is already on disk.

    \b
    Example:
        gaiji review serve out/city --no-browser
        gaiji review add-reviewer out/city sato && gaiji review serve out/city --host 0.0.0.0
    """
    import logging

    from gaiji.reference import load_reference
    from gaiji.review.server import serve as serve_desk

    # a page loads ~20 pictures at once; waitress queues them briefly and would warn each time
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def ready(url: str) -> None:
        click.echo(f"review desk for {set_dir} at {url}  (Ctrl+C stops it)", err=True)
        if candidates is None and not (set_dir / "candidates.csv").is_file():
            click.echo(f"note: {set_dir} has no candidates.csv, so the desk shows no MJ candidates (search "
                       f"works); run `gaiji match {set_dir} -o {set_dir}/candidates.csv` first", err=True)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    serve_desk(set_dir, reference=load_reference(home), host=host, port=port,
               candidates_path=candidates, on_ready=ready, secure_cookies=secure_cookies,
               signing_key=signing_key, witness=witness, proposals_path=proposals)


def _read_password(from_stdin: bool, name: str) -> str:
    if from_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
        if not password:
            raise click.UsageError("--password-stdin: stdin gave an empty line; pipe the password in")
        return password
    return click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)


def _refuse_password_option(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            "passwords are not taken on the command line (they end up in shell history and in "
            "`ps` for everyone on the machine): leave out --password to be asked, or pipe it in "
            "with --password-stdin", ctx)


password_argv_guard = click.option("--password", expose_value=False, hidden=True, callback=_refuse_password_option,
                                   help="Refused: type the password at the prompt or use --password-stdin.")


@review.command("add-reviewer")
@set_argument
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin instead of asking.")
@click.option("--admin", "role", flag_value="administrator", default=None,
              help="Make the reviewer an administrator (may change the set's settings).")
@click.option("--reviewer-role", "role", flag_value="reviewer", help="Make an administrator a plain reviewer again.")
@password_argv_guard
def add_reviewer(set_dir: Path, name: str, password_stdin: bool, role: str | None) -> None:
    """Create a reviewer account for SET, or reset its password (needed beyond loopback).

    The password is asked for (twice) or read from stdin, never taken from the command line;
    it needs at least 10 characters and must not be easy to guess. It is stored only as a
    salted hash, in SET/reviewers.json. On a running desk the reviewer's sessions end at once.

    \b
    Example:
        gaiji review add-reviewer out/city sato --admin
        printf '%s\\n' "$PW" | gaiji review add-reviewer out/city suzuki --password-stdin
    """
    from gaiji.review.accounts import add_reviewer as add
    from gaiji.review.accounts import check_new_reviewer

    check_new_reviewer(set_dir, name)  # before asking for a password
    account = add(set_dir, name, _read_password(password_stdin, name), role=role)
    click.echo(f"{account.role} {name} can now sign in to the desk of {set_dir}", err=True)


@review.command("remove-reviewer")
@set_argument
@click.argument("name")
def remove_reviewer(set_dir: Path, name: str) -> None:
    """Delete a reviewer's account on SET; a running desk ends their sessions at once.

    Their decisions stay in the audit trail under their name.

    \b
    Example:
        gaiji review remove-reviewer out/city sato
    """
    from gaiji.review.accounts import remove_reviewer as remove

    remove(set_dir, name)
    click.echo(f"{name} can no longer sign in to the desk of {set_dir}", err=True)


@review.command("settings")
@set_argument
@click.option("--two-person/--one-person", "two_person", default=None,
              help="Whether a decision needs a second, different reviewer to become final.")
@click.option("--by", "admin", required=True, help="The administrator making the change (recorded in the audit trail).")
def settings(set_dir: Path, two_person: bool | None, admin: str) -> None:
    """Show or change SET's review settings (administrators only).

    A change applies to decisions recorded from then on; each decision keeps the rule it
    was made under. With accounts, --by must name an administrator.

    \b
    Example:
        gaiji review settings out/city --one-person --by sato
    """
    from gaiji.review.admin import change_two_person

    now = change_two_person(set_dir, two_person, admin)
    click.echo(f"two-person rule: {'on' if now else 'off'}")


trust_key_option = click.option(
    "--trust-key", "trusted_keys", multiple=True, metavar="KEYID:PUBLICHEX",
    help="Also trust events signed with this desk key (as printed by `gaiji review key` on the desk's "
         "machine); this machine's own desk key is always trusted.")
witness_option = click.option(
    "--witness", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Witness file the desk appended chain heads to (default: $GAIJI_REVIEW_WITNESS).")
allow_unsigned_option = click.option(
    "--allow-unsigned", is_flag=True,
    help="Accept unsigned events: only for records written before the desk signed its events.")


@review.command("log")
@set_argument
@click.option("--verify", is_flag=True,
              help="Recompute the hash chain and check the signatures; exit 1 if any record was edited, "
                   "deleted, added outside the desk, or rolled back (with --expect-head / --witness).")
@click.option("--expect-head", default=None, metavar="HASH",
              help="A chain head seen outside the set (contact sheet, mapping table's review_chain_head): "
                   "the record must contain it. Implies --verify.")
@witness_option
@trust_key_option
@allow_unsigned_option
@click.option("--gaiji", "gaiji_id", default=None, help="Only the events of this gaiji_id.")
@json_option
def log(set_dir: Path, verify: bool, expect_head: str | None, witness: Path | None, trusted_keys: tuple[str, ...],
        allow_unsigned: bool, gaiji_id: str | None, as_json: bool) -> None:
    """Print SET's audit trail (one event per line, oldest first) and optionally verify it.

    Columns: seq, time (UTC), kind, gaiji, reviewer, choice, class, comment, hash prefix.
    Control characters in any field are shown escaped (\\u000a), so no line can be forged.

    \b
    Example:
        gaiji review log out/city --verify
        gaiji review log out/city --verify --expect-head 412:9f3c0d7e51a2…
        gaiji review log out/city --gaiji E001 --json
    """
    from gaiji.review.log import event_dict, event_line, iter_log, open_existing
    from gaiji.review.log import verify as verify_chain
    from gaiji.review.signing import parse_trusted_key

    store = open_existing(set_dir)
    keys = [parse_trusted_key(k) for k in trusted_keys]
    for event in iter_log(store, gaiji_id=gaiji_id):
        click.echo(json.dumps(event_dict(event), ensure_ascii=False) if as_json else event_line(event))
    if verify or expect_head or witness:
        report = verify_chain(store, trusted_keys=keys, expect_head=expect_head, witness=witness,
                              allow_unsigned=allow_unsigned)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        checked = "hashes, signatures" + (f", expected head {expect_head}" if expect_head else "") + (
            f", witness {report.witness}" if report.witness else "")
        click.echo(f"audit chain verified: {report.count} events, head #{report.head_seq} {report.head_hash}, "
                   f"signed by {', '.join(report.key_ids) or 'nobody'} (checked: {checked})", err=True)


@review.command("audit")
@set_argument
@json_option
def audit(set_dir: Path, as_json: bool) -> None:
    """How often SET's auto-accepts are right, measured from the desk's random spot-checks.

    Calibration promises at most 0.5 % of auto-accepts wrong — on calibration fonts. This
    counts the auto-accepted gaiji reviewers were shown in random spot-check samples and what
    they finally agreed for each: precision with its 95 % lower bound, and whether the promise
    is shown to hold on this set, ruled out, or needs more samples (and how many). Auto-accepts
    overturned outside the samples are listed apart (opened by choice, not a random sample).
    Exit status 1 when the promise is ruled out on this set.

    \b
    Example:
        gaiji review audit out/city
        gaiji review audit out/city --json
    """
    from gaiji.review.audit import audit_lines, spot_check_audit
    from gaiji.review.log import open_existing

    result = spot_check_audit(open_existing(set_dir))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"spot-check audit of {set_dir}")
        for line in audit_lines(result):
            click.echo(f"  {line}")
    if result.verdict == "broken":
        raise SystemExit(1)


@review.command("key")
def key() -> None:
    """Print this installation's desk signing key (public part) and where it is kept.

    The private key signs every event this desk writes; it lives outside every set
    ($GAIJI_REVIEW_KEY, else ~/.config/gaiji/review-signing-key.pem) and is created on first
    use. Give the printed KEYID:PUBLICHEX to whoever verifies a set elsewhere (--trust-key).

    \b
    Example:
        gaiji review key
    """
    from gaiji.review.signing import DeskKey

    desk = DeskKey.load_or_create()
    click.echo(f"{desk.key_id}:{desk.public_hex}")
    click.echo(f"private key: {desk.path} (keep it out of the set and back it up)", err=True)


@review.command("sheet")
@set_argument
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="sheet.html, or sheet.pdf (printed with headless Chromium).")
@candidates_option
@home_option
@quiet_option
def sheet(set_dir: Path, output: Path, candidates: Path | None, home: Path | None, progress: Progress) -> None:
    """Write a printable contact sheet of SET's final decisions for paper sign-off.

    Each row: the gaiji, the chosen MJ glyph, their overlay, class, who decided and checked.
    The header carries the audit chain's head hash, so the signed paper anchors the record.

    \b
    Example:
        gaiji review sheet out/city -o city-sheet.pdf
    """
    from gaiji.reference import load_reference
    from gaiji.review.sheet import write_sheet

    out = write_sheet(set_dir, output, reference=load_reference(home), candidates_path=candidates, progress=progress)
    click.echo(f"contact sheet written: {out}", err=True)


@review.command("recheck")
@set_argument
@click.option("--diff", "diff_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A diff written by `gaiji reference diff OLD NEW --json -o FILE`.")
@click.option("--old", "old_build", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Instead of --diff: the reference build the decisions were made against.")
@click.option("--new", "new_build", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="With --old: the build to compare with (default: the current reference).")
@click.option("--reviewer", required=True, help="Who runs the recheck (recorded in the audit trail).")
@home_option
@json_option
def recheck(set_dir: Path, diff_path: Path | None, old_build: Path | None, new_build: Path | None, reviewer: str,
            home: Path | None, as_json: bool) -> None:
    """Send every decision of SET that points at a changed reference entry back to review.

    Changed means removed, re-pointed or glyph changed between the two builds (see `gaiji
    reference diff`). Each affected gaiji gets a `recheck` event in the audit chain and is
    pending again; the set records that it was rechecked across the versions, after which
    `gaiji export` accepts its other decisions. Running it twice changes nothing.

    \b
    Example:
        gaiji reference diff old-glyph_db/reference glyph_db/reference --json -o diff.json
        gaiji review recheck out/city --diff diff.json --reviewer sato
    """
    from gaiji.reference.build import reference_dir
    from gaiji.reference.diff import diff_builds, read_diff
    from gaiji.review.recheck import recheck_set

    if (diff_path is None) == (old_build is None):
        raise click.UsageError("give either --diff FILE or --old BUILD (with --new BUILD, default the current reference)")
    diff = read_diff(diff_path) if diff_path else diff_builds(old_build, new_build or reference_dir(home))
    result = recheck_set(set_dir, diff, reviewer=reviewer)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    if result.already_done:
        click.echo(f"{set_dir} was already rechecked with this diff; nothing changed", err=True)
        return
    for a in result.affected:
        what = "; ".join(f"{c['kind']} {c['field']} {c['old']!r}→{c['new']!r}".replace("  ", " ") for c in a["changes"])
        click.echo(f"{a['gaiji_id']}\t{a['entry']}\t{'final' if a['was_final'] else 'open'}\t{what}")
    click.echo(f"{len(result.affected)} gaiji sent back to review ({result.from_version} → {result.to_version}); "
               "recorded in the audit chain", err=True)
