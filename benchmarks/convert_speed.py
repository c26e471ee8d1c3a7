"""Throughput of `gaiji convert` beside `iconv` and a plain CP932 → UTF-8 pass, in one run.

Generates a resident-ledger-like CP932 CSV (default ~200 MB) with gaiji (Shift_JIS
user-defined area F040–F9FC) sprinkled into the name fields, then times, in the same run and
interleaved round by round (so a change in machine load hits every contender alike), best of
``--repeat`` each, every output written to a file beside the input:

* ``iconv -f CP932 -t UTF-8`` (glibc), the tool a migration engineer would otherwise use, on
  the same file (it maps F040–F9FC to U+E000–U+E757 and does nothing else; one thread);
* baseline: Python's chunked read → ``bytes.decode('cp932')`` → ``str.encode('utf-8')`` →
  write, with no gaiji handling at all;
* ``convert_files``: gaiji mapped to UCS + IVS, every unmapped one reported with its line
  and column, output and report written atomically (fsync, rename) — once with 30 % of the
  codes unmapped and once with all mapped; with the default number of worker processes
  (the cores, at most 4 — started only if the machine had 0.6 of a core idle during the first
  0.05 s, and the main process finishes alone when it gets less than 0.6 of a core: the cores are
  busy with other work) and with one.

    python benchmarks/convert_speed.py               # ~200 MB, best of 3
    python benchmarks/convert_speed.py --size-mb 50  # quicker

Target (issue #13): ≥ 0.5× iconv both with unmapped gaiji and with all mapped. The load
average is printed before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from gaiji.codes import sjis_to_pua
from gaiji.export.convert import CHUNK_SIZE, ConversionTable, convert_files, default_workers

SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "中村", "小林", "加藤", "吉田", "山本", "斎藤", "松本", "井上", "木村", "林", "清水"]
GIVEN = ["太郎", "花子", "一郎", "次郎", "恵子", "洋子", "誠", "健", "翔", "陽菜", "結衣", "大翔", "蓮", "美咲", "和子"]
TOWNS = ["本町", "栄町", "旭町", "緑町", "中央", "東町", "西町", "南町", "北町", "桜台", "若葉"]


def uda_codes() -> list[int]:
    return [(lead << 8) | t for lead in range(0xF0, 0xFA) for t in [*range(0x40, 0x7F), *range(0x80, 0xFD)]]


def generate(path: Path, size_mb: float, *, gaiji_per_line: float, seed: int = 7) -> tuple[int, int]:
    """Write the CP932 test file; returns (bytes, gaiji occurrences)."""
    rng = random.Random(seed)
    gaiji_bytes = [bytes([c >> 8, c & 0xFF]) for c in uda_codes()]
    pool = []  # distinct ledger lines; blocks are drawn from them
    for number in range(20000):
        name = rng.choice(SURNAMES) + " " + rng.choice(GIVEN)
        raw = f"{number:08d},{name},,{rng.choice(TOWNS)}{rng.randint(1, 9)}-{rng.randint(1, 30)},"
        raw += f"19{rng.randint(30, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d},\r\n"
        line = raw.encode("cp932")
        pool.append((line, line.index(b",", 9) + 1))  # gaiji go at the start of the name field
    target = int(size_mb * 1_000_000)
    written = gaiji = 0
    with open(path, "wb") as out:
        out.write("番号,氏名,よみ,住所,生年月日,備考\r\n".encode("cp932"))
        while written < target:
            lines = []
            for line, cut in rng.choices(pool, k=5000):
                if rng.random() < gaiji_per_line:
                    line = line[:cut] + rng.choice(gaiji_bytes) + line[cut:]
                    gaiji += 1
                lines.append(line)
            block = b"".join(lines)
            out.write(block)
            written += len(block)
    return path.stat().st_size, gaiji


def baseline_pass(src: Path, dst: Path) -> float:
    start = time.perf_counter()
    import codecs

    dec = codecs.getincrementaldecoder("cp932")()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK_SIZE):
            fout.write(dec.decode(chunk).encode("utf-8"))
        fout.write(dec.decode(b"", True).encode("utf-8"))
    return time.perf_counter() - start


def iconv_pass(src: Path, dst: Path) -> float | None:
    iconv = shutil.which("iconv")
    if iconv is None:
        return None
    start = time.perf_counter()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        subprocess.run([iconv, "-f", "CP932", "-t", "UTF-8"], stdin=fin, stdout=fout, check=True)
    return time.perf_counter() - start


def timed_convert(data: Path, out: Path, table: ConversionTable, workers: int) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = convert_files([data], table, output=out, encoding="cp932", workers=workers)
    return time.perf_counter() - t0, result


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=200.0)
    ap.add_argument("--gaiji-per-line", type=float, default=0.2, help="share of lines with a gaiji")
    ap.add_argument("--mapped", type=float, default=0.70, help="share of UDA codes mapped in the first run")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; best of N for each timing")
    ap.add_argument("--workers", type=int, default=None,
                    help="worker processes for gaiji convert (default: convert's own default, the cores "
                         "up to 4); it is also timed with 1 and with every core")
    ap.add_argument("--workdir", type=Path, default=None, help="where to put the generated files")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"load average (1, 5, 15 min) before: {load()}; {cores} cores")

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        data = work / "residents.csv"
        t0 = time.perf_counter()
        size, gaiji = generate(data, args.size_mb, gaiji_per_line=args.gaiji_per_line)
        gen_s = time.perf_counter() - t0
        rng = random.Random(3)
        codes = uda_codes()

        def table_of(share: float) -> ConversionTable:
            mapped = rng.sample(codes, round(len(codes) * share))
            return ConversionTable(targets={sjis_to_pua(c): "辻\U000e0101" if i % 2 else "髙"
                                            for i, c in enumerate(mapped)})

        tables = {f"{round(args.mapped * 100)} % mapped": table_of(args.mapped), "all mapped": table_of(1.0)}
        print(f"input: {size / 1e6:.1f} MB CP932, {gaiji:,} gaiji occurrences; generated in {gen_s:.1f} s")
        default = default_workers()
        chosen = args.workers or default
        worker_counts = [chosen] + ([1] if chosen != 1 else [])
        times: dict[str, list[float]] = {}
        results: dict[str, object] = {}
        has_iconv = shutil.which("iconv") is not None
        for _ in range(max(1, args.repeat)):  # interleaved rounds
            if has_iconv:
                times.setdefault("iconv", []).append(iconv_pass(data, work / "iconv.txt") or 0.0)
                (work / "iconv.txt").unlink()
            times.setdefault("python", []).append(baseline_pass(data, work / "baseline.txt"))
            (work / "baseline.txt").unlink()
            for label, table in tables.items():
                for w in worker_counts:
                    key = f"{label}|{w}"
                    seconds, result = timed_convert(data, work / "out.csv", table, w)
                    if seconds < min(times.get(key, [seconds + 1])):
                        results[key] = result
                    times.setdefault(key, []).append(seconds)
                    (work / "out.csv").unlink()
        best = {k: min(v) for k, v in times.items()}
        runs = len(times["python"])
        base_s = best["python"]
        print(f"best of {runs} rounds:")
        if has_iconv:
            iconv_s = best["iconv"]
            print(f"baseline  iconv -f CP932 -t UTF-8:                     {size / 1e6 / iconv_s:7.1f} MB/s ({iconv_s:.2f} s)")
        else:
            iconv_s = None
            print("baseline  iconv: not installed")
        print(f"baseline  Python decode('cp932').encode('utf-8'), chunked: {size / 1e6 / base_s:7.1f} MB/s ({base_s:.2f} s)")
        for label in tables:
            for w in worker_counts:
                key = f"{label}|{w}"
                conv_s, result = best[key], results[key]
                used = result.files[0].workers  # type: ignore[attr-defined]
                how = f"--workers {w}{' (default)' if w == default else ''}" + (f", ran in {used}" if used != w else "")
                if result.files[0].shared_cores:  # type: ignore[attr-defined]
                    how += ", in one process (the cores were busy with other work)"
                print(f"gaiji convert, {label}, {how} (map + report + atomic write): "
                      f"{size / 1e6 / conv_s:.1f} MB/s ({conv_s:.2f} s); converted {result.converted:,}, "  # type: ignore[attr-defined]
                      f"reported {result.unmapped:,} (sum {result.converted + result.unmapped:,} = {gaiji:,})")  # type: ignore[attr-defined]
                if iconv_s:
                    ratio = iconv_s / conv_s
                    target = f" — target ≥ 0.5×: {'met' if ratio >= 0.5 else 'NOT met'}" if w == chosen else ""
                    print(f"    {ratio:.2f}× iconv{target}; {base_s / conv_s:.2f}× the Python re-encode")
    print(f"load average (1, 5, 15 min) after: {load()}")


if __name__ == "__main__":
    main()
