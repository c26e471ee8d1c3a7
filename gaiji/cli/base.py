"""The click group and the options several commands share.

Nothing outside :mod:`gaiji.cli` imports click. Library errors (:class:`GaijiError`) become
``Error: …`` and exit status 1; usage mistakes are exit status 2 (click's own).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gaiji import __version__
from gaiji.errors import GaijiError
from gaiji.progress import Progress, stderr_progress


class GaijiGroup(click.Group):
    """A click group that turns :class:`GaijiError` into a clean error message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GaijiError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=GaijiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gaiji")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """gaiji — identify municipal custom characters (外字) against the MJ character set.

    The pipeline: reference build → extract → match → review → export / convert.
    Run `gaiji demo` to see it end to end on the bundled sample municipality.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def quiet_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--quiet``: no progress on stderr. Passes ``progress`` (a callback) to the command."""

    @click.option("-q", "--quiet", is_flag=True, help="No progress output on stderr.")
    @functools.wraps(func)
    def wrapper(*args: Any, quiet: bool, **kwargs: Any) -> Any:
        progress: Progress = stderr_progress(quiet=quiet)
        return func(*args, progress=progress, **kwargs)

    return wrapper


def home_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--home DIR``: where the built reference lives (default $GAIJI_HOME or glyph_db/)."""
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Reference database folder (default: $GAIJI_HOME, else glyph_db/ of the checkout).",
    )(func)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)
