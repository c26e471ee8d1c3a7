"""The MJ reference: IPAmj明朝 glyphs joined with the MJ文字情報一覧表.

>>> from gaiji.reference import load_reference   # doctest: +SKIP
>>> ref = load_reference(); ref.record('MJ030302').juki   # doctest: +SKIP
'J+FA66'
"""

from gaiji.reference.build import BuildSummary, build_reference
from gaiji.reference.database import Reference, load_reference
from gaiji.reference.records import Fallback, MJRecord

__all__ = ["BuildSummary", "Fallback", "MJRecord", "Reference", "build_reference", "load_reference"]
