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


#: problems named one by one in a message; the rest are counted
SHOWN = 20


def listing(items: list[str]) -> str:
    """Indented lines naming the first :data:`SHOWN` items, then how many more there are."""
    lines = [f"  {item}" for item in items[:SHOWN]]
    if len(items) > SHOWN:
        lines.append(f"  … and {len(items) - SHOWN:,} more")
    return "\n".join(lines)


class UnreadableImages(InputError):
    """Some glyph images of a set cannot be read; ``problems`` holds ``(path, message)`` of each
    one found, so that a user fixes them all in one go instead of one per run."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"{count:,} glyph image{'s' if count != 1 else ''} of the set cannot be read:\n"
            + listing([message for _, message in self.problems])
            + "\nre-export them (PNG) or run `gaiji extract` again, then run this again; nothing was written"
        )

    def __reduce__(self):  # type: ignore[no-untyped-def]  # raised in worker processes, pickled back
        return (type(self), (self.problems,))
