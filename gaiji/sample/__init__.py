"""The bundled sample municipality: what a real hand-over looks like, small and reproducible.

``sample_dir()`` holds the sources a municipality would hand over — an EUDC-style TrueType
font (``EUDC.TTE``), its CP932 ledger (``gaiji_ledger.csv``) and a 16 px BDF font from a
vendor system (``vendor16.bdf``) — so ``gaiji extract $(sample_dir) -o SET`` reads them all.
``answers_path()`` is the labelled truth for ``gaiji bench`` (never read by the pipeline);
``record_path()`` is the generator's record of what it built (counts, SHA-256).

Made by ``python -m gaiji.sample.generate`` from Hanazono Mincho (not IPAmj) and the MJ
table; see README.md and LICENSES.md in this folder.
"""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE_PACKAGE_DIR = Path(__file__).resolve().parent


def sample_dir() -> Path:
    """Folder of the sample municipality's source files (font, ledger, bitmap font)."""
    return SAMPLE_PACKAGE_DIR / "municipality"


def answers_path() -> Path:
    """CSV of true answers: gaiji_id, mj (empty = no MJ equivalent), ucs, ivs, char (the MJ
    glyph's identity, base + selector when the MJ table gives an IVS), kind, drawn_as,
    source_glyph."""
    return SAMPLE_PACKAGE_DIR / "answers.csv"


def refset_dir() -> Path:
    """The bundled added reference set ``HanaExt`` (a stand-in for what 行政事務標準文字 adds to
    MJ): ``refset-sample.ttf`` and its list ``refset.csv``; see README.md in this folder."""
    return SAMPLE_PACKAGE_DIR / "refset"


REFSET_NAME = "HanaExt"
REFSET_FONT = "refset-sample.ttf"
REFSET_TABLE = "refset.csv"


def record_path() -> Path:
    """JSON written by the generator: counts to expect from ``gaiji extract``, SHA-256s."""
    return SAMPLE_PACKAGE_DIR / "record.json"


def sample_record() -> dict[str, object]:
    return json.loads(record_path().read_text(encoding="utf-8"))
