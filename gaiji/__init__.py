"""gaiji — identify municipal custom characters (外字) against the MJ character set.

The pipeline stages live in sub-packages named after them:
:mod:`gaiji.reference` (the MJ glyph database), :mod:`gaiji.extract`, :mod:`gaiji.match`,
:mod:`gaiji.review` and :mod:`gaiji.export`. :mod:`gaiji.cli` is a thin layer over them.
"""

__version__ = "0.1.0"
