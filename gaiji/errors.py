"""Exceptions the library raises. The CLI turns every :class:`GaijiError` into a clean
message (exit 1); anything else is a bug.

Each message says what is wrong *and* how to fix it.
"""

from __future__ import annotations


class GaijiError(Exception):
    """Base class: a problem the user can fix (bad input, missing data, …)."""


class ReferenceMissing(GaijiError):
    """The reference database (or one of its sources) is not there."""


class SourceError(GaijiError):
    """A downloaded or given source file is wrong (checksum, version, corrupt)."""


class InputError(GaijiError):
    """A user-supplied file cannot be read (corrupt font, wrong encoding, …)."""


class ContractError(GaijiError):
    """A stage artifact (gaiji set, candidates, mapping) breaks its contract."""


class OutputError(GaijiError):
    """An output cannot be written where the user asked (no such folder, read-only, …)."""
