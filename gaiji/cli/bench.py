"""`gaiji bench` — stage commands (thin: parse options, call one library function)."""

from __future__ import annotations

from gaiji.cli.base import cli  # noqa: F401
