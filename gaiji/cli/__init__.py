"""Command-line interface: one thin command per pipeline stage.

Each stage's commands live in their own module here and call one library function;
importing a stage module registers its commands on `cli`.
"""

from __future__ import annotations

from gaiji.cli import bench as _bench  # noqa: F401
from gaiji.cli import corpus as _corpus  # noqa: F401
from gaiji.cli import demo as _demo  # noqa: F401
from gaiji.cli import export as _export  # noqa: F401
from gaiji.cli import extract as _extract  # noqa: F401
from gaiji.cli import match as _match  # noqa: F401
from gaiji.cli import reference as _reference  # noqa: F401
from gaiji.cli import review as _review  # noqa: F401
from gaiji.cli.base import cli


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="gaiji")


__all__ = ["cli", "main"]
