"""Throughput of `gaiji convert` on one core, beside a plain CP932 → UTF-8 pass.

Generates a resident-ledger-like CP932 CSV (default ~200 MB) with gaiji (Shift_JIS
user-defined area F040–F9FC) sprinkled into the name fields, then times, in the same run:

* baseline: the same chunked read → ``bytes.decode('cp932')`` → ``str.encode('utf-8')`` →
  write, with no gaiji handling at all;
* ``convert_files``: gaiji mapped to UCS + IVS, every unmapped one reported with its
  position, output written atomically.

    python benchmarks/convert_speed.py               # ~200 MB
    python benchmarks/convert_speed.py --size-mb 50  # quicker

Target: ≥ 20 MB/s for convert.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from gaiji.codes import sjis_to_pua
from gaiji.export.convert import CHUNK_SIZE, ConversionTable, convert_files

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=200.0)
    ap.add_argument("--gaiji-per-line", type=float, default=0.2, help="share of lines with a gaiji")
    ap.add_argument("--mapped", type=float, default=0.95, help="share of UDA codes in the mapping")
    ap.add_argument("--workdir", type=Path, default=None, help="where to put the generated files")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):  # one core, as the target says
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        data = work / "residents.csv"
        t0 = time.perf_counter()
        size, gaiji = generate(data, args.size_mb, gaiji_per_line=args.gaiji_per_line)
        gen_s = time.perf_counter() - t0
        rng = random.Random(3)
        codes = uda_codes()
        mapped = rng.sample(codes, int(len(codes) * args.mapped))
        table = ConversionTable(targets={sjis_to_pua(c): "辻\U000e0101" if i % 2 else "髙" for i, c in enumerate(mapped)})
        print(f"input: {size / 1e6:.1f} MB CP932, {gaiji:,} gaiji occurrences "
              f"({len(table):,} of 1,880 UDA codes mapped); generated in {gen_s:.1f} s")

        base_s = baseline_pass(data, work / "baseline.txt")
        print(f"baseline  decode('cp932').encode('utf-8'), chunked: {size / 1e6 / base_s:7.1f} MB/s ({base_s:.2f} s)")
        (work / "baseline.txt").unlink()

        t0 = time.perf_counter()
        result = convert_files([data], table, output=work / "out.csv", encoding="cp932")
        conv_s = time.perf_counter() - t0
        print(f"gaiji convert (map + report + atomic write):    {size / 1e6 / conv_s:7.1f} MB/s ({conv_s:.2f} s)")
        print(f"converted {result.converted:,} gaiji, reported {result.unmapped:,} unmapped "
              f"(sum {result.converted + result.unmapped:,} = {gaiji:,} in the input)")
        print(f"convert / baseline: {base_s / conv_s:.2f}× the speed of a plain re-encode; target ≥ 20 MB/s: "
              f"{'met' if size / 1e6 / conv_s >= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
