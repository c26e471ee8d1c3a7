"""Convert one large file on several cores, with the output and report of one core.

The file is cut into pieces of about ``chunk_bytes`` that end after a newline: ``b"\\n"`` is
never part of a multi-byte character in CP932, EUC-JP or UTF-8, so each piece decodes on its
own exactly as it does inside one stream, and a piece starts at line start. The main process
counts the newlines of each piece as it cuts it (numpy), so every piece knows the line it
begins on. Worker processes (forked, so they share the converter and its table without
copying them) read their pieces from the input by offset, convert them with the single-core
converter into an output slot of memory shared with the main process, and format their own
report rows (:class:`gaiji.export.convert_report.ReportText`) with their final line numbers.
The main process hands each piece to whichever worker is free, converts pieces itself (the
same way) whenever no worker result is ready, and writes outputs and report text in file order
into the (atomic) output and report files.

Whether more processes help is judged from the machine: :class:`IdleProbe` (idle time in
``/proc/stat`` while the first 0.05 s are converted in one process) decides whether workers are
started at all, and the main process goes on alone if, converting, it gets less than
:data:`SHARED_CPU` of a core — when other work keeps the cores busy, two processes sharing one
core convert less than one alone.

A piece that cannot be finished — bytes that are not text under ``--errors strict``, or
anything unexpected — is converted again in order by the main process's own converter, which
then reports and raises exactly as the single-core path does. At most three pieces per worker
and :data:`OWN_AHEAD` of the main process's own are in flight, so memory stays bounded; workers
ignore Ctrl-C, and exit when the main process goes away.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import mmap
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import IO, Any

import numpy as np

from gaiji.errors import InputError

LONGEST_LINE = 1 << 26
"""A piece is cut at the first newline after its nominal end, looked for this far; a file
with a longer line is converted from there on in one process."""

_PROBE = 1 << 16


def piece_end(fd: int, start: int, size: int, chunk_bytes: int) -> int | None:
    """Offset just after the first newline at or after ``start + chunk_bytes`` (``size`` when
    the rest is short or has no newline); ``None`` when none is found within :data:`LONGEST_LINE`."""
    probe = start + chunk_bytes
    if probe >= size - chunk_bytes // 2:
        return size
    limit = min(size, probe + LONGEST_LINE)
    while probe < limit:
        window = os.pread(fd, min(_PROBE, limit - probe), probe)
        if not window:
            return size
        at = window.find(b"\n")
        if at >= 0:
            return probe + at + 1
        probe += len(window)
    return size if limit == size else None


def _read(fd: int, start: int, end: int) -> bytes:
    parts = []
    while start < end:
        part = os.pread(fd, end - start, start)
        if not part:
            break
        parts.append(part)
        start += len(part)
    return b"".join(parts) if len(parts) != 1 else parts[0]


PARALLEL_PROBE = 0.05
"""Seconds a large file is converted in one process first, while the machine's idle time is measured."""
SPARE_CORES = 0.6
"""Idle cores (of the whole machine) needed meanwhile for worker processes to be worth starting."""


class IdleProbe:
    """The machine's idle CPU time since it was made, from ``/proc/stat`` (Linux)."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.idle = _idle_seconds()

    def elapsed(self) -> float:
        return time.perf_counter() - self.wall

    def idle_cores(self) -> float | None:
        """Cores that were idle on average since then; None where that cannot be told."""
        now, wall = _idle_seconds(), self.elapsed()
        if now is None or self.idle is None or wall < 0.02:
            return None
        return (now - self.idle) / wall


def _idle_seconds() -> float | None:
    """Idle and I/O-wait time of all CPUs so far, in seconds (``/proc/stat``), or None."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()
        return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def count_newlines(fd: int, start: int, end: int, buffer: bytearray) -> int:
    """The ``b"\\n"`` bytes in bytes ``start``…``end`` of the file open as *fd*, read through
    *buffer* (no allocation) and counted by numpy."""
    count = 0
    with memoryview(buffer) as view:
        while start < end:
            want = min(len(buffer), end - start)
            if hasattr(os, "preadv"):
                got = os.preadv(fd, [view[:want]], start)
            else:  # pragma: no cover - platforms without preadv
                part = os.pread(fd, want, start)
                got = len(part)
                view[:got] = part
            if not got:
                break
            count += int(np.count_nonzero(np.frombuffer(buffer, dtype=np.uint8, count=got) == 0x0A))
            start += got
    return count


class _PieceReport:
    """Where a converter's report goes while it converts a piece outside the main process:
    formatted into text by a copy of the main :class:`ReportText` when there is one, else
    collected as ("rows", rows) and ("gaiji", lines, columns, infos) for the main process."""

    def __init__(self, conv: Any) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.parts: list[str] = []
        self.text = conv.report_text.fresh(self.parts.append) if conv.report_text is not None else None
        if self.text is not None:
            conv.report_rows, conv.report_gaiji = self.text.rows, self.text.gaiji
        else:
            conv.report_rows = lambda batch: self.events.append(("rows", batch))
            conv.report_gaiji = lambda name, lines, columns, infos: self.events.append(
                ("gaiji", lines, columns, infos))

    def clear(self) -> None:
        self.events.clear()
        self.parts.clear()
        if self.text is not None:
            self.text.take_counts()

    def take(self) -> tuple[Any, ...]:
        if self.text is not None:
            text = "".join(self.parts)
            self.parts.clear()
            return ("text", (text, *self.text.take_counts()))
        events, self.events = self.events, []
        return ("events", events)


def _convert_piece(conv: Any, report: _PieceReport, data: bytes, final: bool,
                   line: int) -> tuple[tuple[Any, ...] | None, list[bytes]]:
    """Convert one piece beginning *line* with *conv*: (answer, output blocks), or (None, [])
    when it cannot be finished (the main process converts it again, reporting as one process would)."""
    report.clear()
    conv.start_chunk(line)
    try:
        out = conv.feed_blocks(data, final)
    except Exception:  # noqa: BLE001 - converted again in order by the main process, which reports
        conv.reset_decoder()  # a fresh decoder for the next piece
        report.clear()
        return None, []
    return (conv.line - line, conv.column_carry, conv.converted, conv.unmapped, conv.bad, report.take()), out


def _worker(conv: Any, conn: Connection, fd: int, size: int, slots: list[mmap.mmap]) -> None:
    """Convert the pieces (start, end, slot, first line) sent on *conn* until None or the main
    process is gone; answer each with (newlines, characters after the last one, converted,
    unmapped, bad runs, report, output length) with the output in ``slots[slot]`` — or, if it
    does not fit there (length -1), sent after the answer; or answer None to have the main
    process do it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the objects inherited from the main process stay out of garbage collection: a full
    # collection would touch every one of them and copy the whole inherited heap page by page
    gc.freeze()
    gc.disable()  # converting makes no reference cycles
    report = _PieceReport(conv)
    try:
        while (task := conn.recv()) is not None:
            start, end, slot, line = task
            answer, out = _convert_piece(conv, report, _read(fd, start, end), end >= size, line)
            if answer is None:
                conn.send(None)
                continue
            length = sum(map(len, out))
            fits = length <= len(slots[slot])
            if fits:
                into, at = slots[slot], 0
                for block in out:
                    into[at: at + len(block)] = block
                    at += len(block)
            conn.send((*answer, length if fits else -1))
            if not fits:
                conn.send_bytes(b"".join(out))
    except (EOFError, OSError):
        pass  # the main process stopped (error, Ctrl-C, killed): nothing left to do
    finally:
        conn.close()


def convert_in_parallel(
    conv: Any, fd: int, start: int, size: int, dst: IO[bytes], *, workers: int, chunk_bytes: int,
    progress: Callable[[int], None],
) -> tuple[int, int, bool]:
    """Convert bytes ``start``…``size`` of the file open as *fd* with *workers* processes —
    this one and ``workers - 1`` forked ones — writing to *dst* and updating *conv* (line,
    counts, report) as if it had been fed them.

    *conv* must be at a line start with its encoding decided. Returns (offset converted up to,
    bytes written, whether the cores were found shared with other work so that this process
    went on alone): the offset is *size*, or where a line longer than :data:`LONGEST_LINE` begins."""
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be positive, got {chunk_bytes}")
    if workers < 2:
        raise ValueError(f"workers must be at least 2 (this process and one more), got {workers}")
    if conv.encoding == "cp932":
        from gaiji.export.cp932_iconv import cp932_to_utf8

        cp932_to_utf8()  # checked once here, so the forked workers inherit the answer
    ctx = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # a forked child must not write buffered text again
        with contextlib.suppress(Exception):
            stream.flush()
    conns: list[Connection] = []
    procs: list[Any] = []
    # output slots shared with the workers (pages are only used as far as written)
    slots = [mmap.mmap(-1, 4 * chunk_bytes + _PROBE) for _ in range(SLOTS_PER_WORKER * (workers - 1))]
    ok = False
    try:
        for _ in range(workers - 1):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(conv, theirs, fd, size, slots), daemon=True,
                               name="gaiji-convert-worker")
            proc.start()
            theirs.close()
            conns.append(mine)
            procs.append(proc)
        result = _run(conv, fd, start, size, dst, conns, procs, slots, chunk_bytes, progress)
        ok = True
        return result
    finally:
        for c in conns:
            with contextlib.suppress(OSError):
                if ok:
                    c.send(None)
            c.close()
        for p in procs:
            if not ok:
                p.terminate()
            p.join(5)
            if p.is_alive():  # pragma: no cover - a worker that does not stop
                p.kill()
                p.join()
        for m in slots:
            m.close()


OWN_AHEAD = 6
"""Pieces this process converts ahead of the one it is waiting for, while the workers are busy."""
SHARED_CPU = 0.6
"""Less than this share of a core while converting means the cores are shared with other work:
two processes that share about one core convert less than one alone (the second adds its overhead)."""
SHARED_AFTER = 0.05
"""Seconds of converting in this process before it judges whether the cores are shared."""
QUEUED_PER_WORKER = 2
"""Pieces handed to a worker ahead, so it never waits for the main process."""
SLOTS_PER_WORKER = 3
"""Output slots per worker: its queued pieces plus one finished and waiting to be written in order."""


def _run(conv: Any, fd: int, start: int, size: int, dst: IO[bytes], conns: list[Connection],
         procs: list[Any], slots: list[mmap.mmap], chunk_bytes: int,
         progress: Callable[[int], None]) -> tuple[int, int, bool]:
    """Hand pieces to whichever worker is free, and write the results in file order; returns
    (offset converted up to, bytes written, whether this process went on alone)."""
    n = len(conns)
    free = list(range(len(slots)))[::-1]
    queued: list[deque[int]] = [deque() for _ in range(n)]  # piece numbers each worker has, in order
    pieces: dict[int, tuple[int, int, int, int]] = {}  # piece number → (start, end, slot, first line)
    results: dict[int, tuple[Any, list[bytes]]] = {}  # finished, not yet written: (answer, output if not in a slot)
    pos, handed, stopped = start, 0, False
    line = conv.line  # the line *pos* is on: the newlines of each piece are counted as it is cut,
    count_buffer = bytearray(min(chunk_bytes, 1 << 20))  # so a piece's report has its final line numbers

    def cut(read: bool = False) -> tuple[int, int, bytes] | None:
        """The next piece (its end, its first line, its bytes if *read*), or None when there is none."""
        nonlocal pos, line, stopped
        if stopped or pos >= size:
            return None
        end = piece_end(fd, pos, size, chunk_bytes)
        if end is None:
            stopped = True
            return None
        first = line
        if read:
            data = _read(fd, pos, end)
            line += int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A))
        else:
            data = b""
            line += count_newlines(fd, pos, end, count_buffer)
        return end, first, data

    def hand_out(worker: int) -> None:
        nonlocal pos, handed
        while not alone and len(queued[worker]) < QUEUED_PER_WORKER and free and (piece := cut()) is not None:
            end, first, _ = piece
            slot = free.pop()
            conns[worker].send((pos, end, slot, first))
            pieces[handed] = (pos, end, slot, first)
            queued[worker].append(handed)
            handed += 1
            pos = end

    def collect(worker: int) -> None:
        conn = conns[worker]
        try:
            answer = conn.recv()
            out = [conn.recv_bytes()] if answer is not None and answer[-1] < 0 else []
        except (EOFError, OSError) as exc:
            code = procs[worker].exitcode
            raise InputError(f"{conv.name}: a conversion worker process stopped unexpectedly "
                             f"({exc or 'exit code'} {code if code is not None else ''}); nothing was written for "
                             "this file. Run again, or with --workers 1") from None
        results[queued[worker].popleft()] = (answer, out)

    # this process converts pieces too, with a converter of its own, whenever no worker result
    # is ready; and if, meanwhile, it gets less than SHARED_CPU of a core (the cores are busy
    # with other work), it goes on alone: the other processes would only add their overhead
    helper = copy.copy(conv)
    helper.reset_decoder()
    helper_report = _PieceReport(helper)
    own: set[int] = set()  # pieces converted here, not yet written
    alone = False
    own_cpu = own_wall = 0.0  # CPU time and wall time of converting here

    def convert_here() -> None:
        nonlocal pos, handed, alone, own_cpu, own_wall
        piece = cut(read=True)
        if piece is None:
            return
        end, first, data = piece
        wall, cpu = time.perf_counter(), time.thread_time()
        answer, out = _convert_piece(helper, helper_report, data, end >= size, first)
        own_wall += time.perf_counter() - wall
        own_cpu += time.thread_time() - cpu
        if own_wall >= SHARED_AFTER and own_cpu < SHARED_CPU * own_wall:
            alone = True
        results[handed] = ((*answer, -1) if answer is not None else None, out)
        pieces[handed] = (pos, end, -1, first)
        own.add(handed)
        handed += 1
        pos = end

    for w in range(n):
        hand_out(w)
    done, written, next_out = start, 0, 0
    while True:
        while next_out not in results:
            if next_out == handed:  # nothing in flight
                if stopped or pos >= size:
                    return done, written, alone
                convert_here()
                continue
            waiting = [conns[w] for w in range(n) if queued[w]]
            ready = wait(waiting, timeout=0)
            if not ready and len(own) < OWN_AHEAD and not stopped and pos < size:
                convert_here()
                continue
            for conn in ready or wait(waiting):
                worker = conns.index(conn)  # type: ignore[arg-type]
                collect(worker)
                hand_out(worker)  # keep it busy while an earlier piece is still being converted
        answer, out = results.pop(next_out)
        begin, end, slot, first = pieces.pop(next_out)
        own.discard(next_out)
        if conv.line != first or conv.column_carry:  # pragma: no cover - the file changed under us
            raise InputError(f"{conv.name}: the file changed while it was being converted (line {conv.line} "
                             f"was expected to be {first}); nothing was written for this file. Run again")
        if answer is None:  # the piece could not be finished: do it here, raising as one process would
            out = conv.feed_blocks(_read(fd, begin, end), end >= size)
        else:
            newlines, carry, converted, unmapped, bad, (kind, report), length = answer
            if kind == "text":
                conv.report_text.add_piece(report)
            else:
                for event, *batch in report:
                    if event == "rows":
                        conv.report_rows(batch[0])
                    else:
                        conv.report_gaiji(conv.name, *batch)
            conv.line += newlines
            conv.column_carry = carry  # pieces start at a line start
            conv.converted += converted
            conv.unmapped += unmapped
            conv.bad += bad
        if answer is not None and length >= 0:
            with memoryview(slots[slot]) as view:
                dst.write(view[:length])
            written += length
        else:
            dst.writelines(out)
            written += sum(map(len, out))
        if slot >= 0:
            free.append(slot)
        next_out += 1
        done = end
        progress(done)
        for w in range(n):
            hand_out(w)
