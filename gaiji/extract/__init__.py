"""Pipeline stage: extract — read municipal gaiji sources into a gaiji set.

Sources (recognised by content): TrueType/OpenType/EUDC fonts (:mod:`.fonts`), BDF/PCF
bitmap fonts (:mod:`.bitmapfonts`), images (:mod:`.images`), ledger CSVs (:mod:`.ledger`).
The set on disk and how other stages read it: :mod:`.gaijiset`.
"""

from gaiji.extract.build import ExtractOptions, extract_gaiji_set
from gaiji.extract.fonts import parse_code_ranges
from gaiji.extract.gaijiset import GaijiRecord, GaijiSet, read_gaiji_set
from gaiji.extract.summary import ExtractSummary, SourceReport

__all__ = [
    "ExtractOptions",
    "ExtractSummary",
    "GaijiRecord",
    "GaijiSet",
    "SourceReport",
    "extract_gaiji_set",
    "parse_code_ranges",
    "read_gaiji_set",
]
