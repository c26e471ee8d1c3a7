"""`gaiji reference …` — build and query the MJ reference glyph database."""

from __future__ import annotations

from gaiji.cli.base import cli


@cli.group()
def reference() -> None:
    """Build and query the MJ reference (IPAmj明朝 glyphs + the MJ文字情報一覧表)."""
