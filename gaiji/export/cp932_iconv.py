"""CP932 → UTF-8 in one C call: the C library's ``iconv`` (glibc), reached through ctypes.

``gaiji convert`` spends most of its time turning CP932 into UTF-8. Python does that in two
passes (``bytes.decode('cp932')`` into a str, then ``str.encode('utf-8')``); ``iconv`` does it
in one, about half again as fast. It is used only where it cannot change a byte of the output:

* :func:`cp932_to_utf8` is ``None`` unless this C library's CP932 table gives, for every one-
  and two-byte sequence, exactly what Python's codec gives, and refuses every sequence Python
  refuses (checked once per process, as :func:`gaiji.export.convert.check_cp932_codec` checks
  the codec). CP932 has no shift states, so agreeing on every character means agreeing on every
  text. glibc's table does; other C libraries (macOS libiconv, musl) are simply not used.
* A call returns ``None`` for anything iconv refuses — bytes that are not CP932, an incomplete
  character at the end, and the bytes 80, A0, FD–FF (which Python's codec reads as U+0080 and
  U+F8F0–U+F8F3 and convert reports). The caller then takes Python's codec with its careful
  reporting path, so line/column reports stay exactly as they were.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import logging
import re
import sys
from typing import Any

log = logging.getLogger(__name__)

_FAILED = ctypes.c_size_t(-1).value


class Cp932ToUtf8:
    """One iconv conversion descriptor (CP932 → UTF-8) and a reusable output buffer."""

    def __init__(self, lib: Any) -> None:
        self._iconv = lib.iconv
        cd = lib.iconv_open(b"UTF-8", b"CP932")
        if cd in (None, _FAILED):
            raise OSError("iconv_open(UTF-8, CP932) failed")
        self._cd = ctypes.c_void_p(cd)
        self._out = ctypes.create_string_buffer(0)

    def __call__(self, data: bytes, start: int = 0, end: int | None = None) -> bytes | None:
        """The UTF-8 form of ``data[start:end]``, or ``None`` if iconv refuses any of it."""
        end = len(data) if end is None else end
        if not 0 <= start <= end <= len(data):
            raise ValueError(f"bad range {start}:{end} of {len(data)} bytes")
        need = 3 * (end - start) + 16  # one CP932 byte is at most three UTF-8 bytes (half-width kana)
        if len(self._out) < need:
            self._out = ctypes.create_string_buffer(need)
        out = self._out
        inp = ctypes.c_char_p(data)  # points into the bytes object itself: no copy
        if start:
            inp = ctypes.c_char_p(ctypes.cast(inp, ctypes.c_void_p).value + start)  # type: ignore[operator]
        inleft = ctypes.c_size_t(end - start)
        outp = ctypes.c_char_p(ctypes.addressof(out))
        outleft = ctypes.c_size_t(len(out))
        done = self._iconv(self._cd, ctypes.byref(inp), ctypes.byref(inleft), ctypes.byref(outp), ctypes.byref(outleft))
        if done == _FAILED or inleft.value:
            self._iconv(self._cd, None, None, None, None)  # back to the initial state
            return None
        return ctypes.string_at(out, len(out) - outleft.value)

    def accepts(self, seq: bytes) -> bool:
        """True if iconv converts all of *seq* (a short sequence: for the agreement check)."""
        return self(seq) is not None


def _load() -> Any:
    lib = ctypes.CDLL(None)  # the C library this process already runs on (glibc's iconv on Linux)
    lib.iconv_open.restype = ctypes.c_void_p
    lib.iconv_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.iconv.restype = ctypes.c_size_t
    pointer = ctypes.POINTER
    lib.iconv.argtypes = [ctypes.c_void_p, pointer(ctypes.c_char_p), pointer(ctypes.c_size_t),
                          pointer(ctypes.c_char_p), pointer(ctypes.c_size_t)]
    return lib


def _python(seq: bytes) -> bytes | None:
    try:
        return seq.decode("cp932").encode("utf-8")
    except UnicodeDecodeError:
        return None


def agrees_with_python(convert: Cp932ToUtf8) -> bool:
    """True if *convert* gives Python's bytes for every 1- and 2-byte sequence Python accepts
    (or refuses it) and refuses every one Python refuses: about 33,000 sequences, the accepted
    ones checked in one call, the rest one by one (tens of milliseconds, little memory)."""
    singles = (bytes([b]) for b in range(0x100))
    pairs = (bytes([lead, trail]) for lead in range(0x81, 0x100) for trail in range(0x100))
    valid = bytearray()
    for seq in itertools.chain(singles, pairs):
        want = _python(seq)
        if want is None:
            if convert.accepts(seq):
                return False
        elif _RARE.search(want):
            if convert(seq) not in (None, want):  # 80, A0, FD–FF: refusing them is expected
                return False
        else:
            valid += seq + b"\n"
    return convert(bytes(valid)) == _python(bytes(valid))


_RARE = re.compile(rb"\xc2\x80|\xef\xa3[\xb0-\xb3]")
"""The UTF-8 of what Python's codec makes of the bytes 80, A0, FD–FF, which are no CP932."""


@functools.cache
def cp932_to_utf8() -> Cp932ToUtf8 | None:
    """A CP932 → UTF-8 converter that gives exactly Python's bytes, or ``None`` where this
    platform's iconv is missing or differs (convert then uses Python's codec alone)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        convert = Cp932ToUtf8(_load())
    except (OSError, AttributeError, TypeError) as exc:
        log.info("no usable iconv: %s", exc)
        return None
    return convert if agrees_with_python(convert) else None
