"""What a reviewer name may be (the desk's sign-in, accounts and the audit trail share it)."""

from __future__ import annotations

import unicodedata

from gaiji.review.state import AUTO_REVIEWER

MAX_NAME = 80
_HIDDEN = ("Cc", "Cf", "Zl", "Zp", "Cs")  # control, formatting (bidi overrides…), line/paragraph separators


def name_problem(name: str) -> str | None:
    """Why *name* cannot be a reviewer name (None when it can). Control and formatting
    characters (newline, tab, bidi overrides, …) are refused: a name must not be able to
    forge a line in the audit log or hide what it says.

    >>> name_problem("佐藤"), name_problem("sato\\nforged") is not None, name_problem("a\\u202eb") is not None
    (None, True, True)
    """
    if not name or not name.strip():
        return "a reviewer name is required"
    if name != name.strip():
        return "a reviewer name cannot start or end with spaces"
    if len(name) > MAX_NAME:
        return f"a reviewer name has at most {MAX_NAME} characters"
    if name == AUTO_REVIEWER:
        return f"{AUTO_REVIEWER!r} is reserved for the matcher's automatic acceptance"
    bad = [c for c in name if unicodedata.category(c) in _HIDDEN]
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
        return f"a reviewer name cannot contain control or formatting characters ({shown})"
    return None


def escape_controls(text: str) -> str:
    """Show control and formatting characters as ``\\uXXXX`` so one field can never
    forge or hide a line of a log (names written before names were checked included).

    >>> escape_controls("sato\\n3\\tforged")
    'sato\\\\u000a3\\\\u0009forged'
    """
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in _HIDDEN else c for c in text)


