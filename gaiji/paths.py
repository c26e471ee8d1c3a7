"""Where gaiji keeps its data.

* ``GAIJI_HOME`` — the built reference (default: ``glyph_db/`` of the checkout this package
  runs from, else ``~/.local/share/gaiji``).
* ``GAIJI_CACHE`` — downloaded, SHA-256-verified sources (default ``~/.cache/gaiji``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


def gaiji_home() -> Path:
    env = os.environ.get("GAIJI_HOME")
    if env:
        return Path(env).expanduser()
    checkout_db = CHECKOUT_DIR / "glyph_db"
    if checkout_db.is_dir():
        return checkout_db
    return Path.home() / ".local" / "share" / "gaiji"


def gaiji_cache() -> Path:
    env = os.environ.get("GAIJI_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gaiji"
