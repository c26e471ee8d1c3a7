"""A growing delay after wrong passwords, per reviewer name and per client address.

After the n-th wrong password in a row for a name, the next try for that name is accepted
only ``2**(n-1)`` seconds later (1, 2, 4, … capped at :data:`MAX_DELAY`); the desk answers
earlier tries with 429 instead of checking them, so guessing slows down exponentially without
holding a server thread asleep. An address gets the same growing delay only after
:data:`ADDRESS_GRACE` wrong passwords — behind a reverse proxy every reviewer shares one
address, and one person's typos must not lock out the others. A right password clears the
name's and the address's count.

>>> t = LoginThrottle(clock=lambda: 100.0)
>>> t.wait_seconds("sato", "10.0.0.9")
0.0
>>> t.failed("sato", "10.0.0.9"), t.failed("sato", "10.0.0.9"), t.failed("sato", "10.0.0.9")
(1.0, 2.0, 4.0)
>>> t.wait_seconds("sato", "10.0.0.1"), t.wait_seconds("suzuki", "10.0.0.9")
(4.0, 0.0)
>>> for name in ("a", "b", "c", "d", "e", "f"): _ = t.failed(name, "10.0.0.9")
>>> t.wait_seconds("suzuki", "10.0.0.9") > 0  # many names guessed from one address
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_DELAY = 900.0
ADDRESS_GRACE = 5
MAX_TRACKED = 10_000


@dataclass
class _Record:
    failures: int = 0
    not_before: float = 0.0


class LoginThrottle:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    def _keys(self, name: str, address: str) -> list[str]:
        return [f"name:{name}", f"addr:{address}"]

    def wait_seconds(self, name: str, address: str) -> float:
        """How long until a try for *name* from *address* is accepted (0 when now)."""
        now = self.clock()
        with self._lock:
            waits = [r.not_before - now for k in self._keys(name, address) if (r := self._records.get(k))]
        return max([0.0, *waits])

    def failed(self, name: str, address: str) -> float:
        """Count a wrong password; returns the delay before the next try is accepted."""
        now = self.clock()
        delay = 0.0
        with self._lock:
            if len(self._records) > MAX_TRACKED:  # bounded memory under a flood of names
                self._records = {k: r for k, r in self._records.items() if r.not_before > now}
            for key in self._keys(name, address):
                record = self._records.setdefault(key, _Record())
                record.failures += 1
                counted = record.failures - (ADDRESS_GRACE if key.startswith("addr:") else 0)
                if counted <= 0:
                    continue
                wait = min(MAX_DELAY, 2.0 ** (counted - 1))
                record.not_before = now + wait
                delay = max(delay, wait)
        return delay

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            for key in self._keys(name, address):
                self._records.pop(key, None)
