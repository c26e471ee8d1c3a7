"""Build the bundled added reference set and the gaiji that only it has, deterministically.

    python -m gaiji.sample.refset.generate [--hanazono DIR] [--babelstone FILE] [--out DIR]

The set stands in for the characters a 行政事務標準文字 (MJ+) font adds to MJ: CJK Ext C–F
characters that IPAmj明朝 does not draw (absent from its cmap). Inputs, neither of them IPAmj:

* Hanazono Mincho B (Debian ``fonts-hanazono``; Hanazono Font License or SIL OFL 1.1) — the
  set's font, cut down to the chosen characters with fontTools' subsetter;
* BabelStone Han (Debian ``fonts-babelstone-han``; Arphic Public License / free licence of
  BabelStone) — a second design, from which the municipality's gaiji pictures are drawn, so
  the gaiji are never the set's own glyphs.

Outputs (in this folder):

* ``refset-sample.ttf`` — the subsetted font (the set's only font; family renamed
  ``GaijiRefsetSample``, as a derived font must not carry Hanazono's reserved names);
* ``refset.csv`` — the set's list in the documented format (UTF-8 with BOM, Japanese headers:
  文字ID, UCS, 読み, 総画数, 対応UCS, 備考), one row per character of the font;
* ``gaiji/<id>.png`` — the municipality's gaiji for some of those characters, drawn from
  BabelStone Han at 40 px and at 20 px (a vendor bitmap size), grey on white;
* ``answers.csv`` — gaiji_id → the set identifier it truly is (no MJ glyph is right);
* ``record.json`` — what was built, with SHA-256 of inputs and outputs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from pathlib import Path

from gaiji.fsutil import sha256_file

HERE = Path(__file__).resolve().parent
HANAZONO_DIR = Path("/usr/share/fonts/truetype/hanazono")
BABELSTONE = Path("/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf")
IPAMJ = Path("/usr/share/fonts/truetype/ipamj/ipamjm.ttf")
SEED = 20261130
N_CHARS = 24  # characters in the set
N_GAIJI = 16  # of them, drawn as municipal gaiji (40 px); the first 6 also at 20 px
SMALL = 6
SET_NAME = "HanaExt"
FAMILY = "GaijiRefsetSample"
FONT_FILE = "refset-sample.ttf"
EXT_RANGES = ((0x2A700, 0x2B73F), (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0x2CEB0, 0x2EBEF))


def chosen_code_points(hanazono: Path, babelstone: Path, ipamj: Path) -> list[int]:
    """Ext C–F code points Hanazono B and BabelStone draw and IPAmj does not."""
    from fontTools.ttLib import TTFont

    hana = TTFont(hanazono, lazy=True).getBestCmap()
    babel = TTFont(babelstone, lazy=True).getBestCmap()
    ipa = TTFont(ipamj, lazy=True).getBestCmap()
    pool = sorted(cp for cp in hana if any(a <= cp <= b for a, b in EXT_RANGES) and cp in babel and cp not in ipa)
    return sorted(random.Random(SEED).sample(pool, N_CHARS))


def subset_font(source: Path, code_points: list[int], out: Path) -> None:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.notdef_outline = True
    options.recalc_timestamp = False
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=code_points)
    subsetter.subset(font)
    # a derived font does not carry the reserved names "HanaMinB" / "花園明朝B"
    names = {1: FAMILY, 2: "Regular", 3: f"{FAMILY}-Regular", 4: FAMILY, 6: FAMILY}
    table = font["name"]
    table.names = [r for r in table.names if r.nameID not in names]
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)
        table.setName(text, name_id, 1, 0, 0)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    out.write_bytes(buf.getvalue())


def stroke_count(font_path: Path, cp: int) -> int:
    """Number of contours of the glyph: written into 総画数 only as a stand-in value that
    exercises the column (the real list gives real stroke counts)."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    font = TTFont(font_path)
    pen = RecordingPen()
    font.getGlyphSet()[font.getBestCmap()[cp]].draw(pen)
    return sum(1 for op, _ in pen.value if op == "closePath")


def draw_gaiji(font: Path, cp: int, px: int):  # type: ignore[no-untyped-def]
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font), px)
    canvas = Image.new("L", (px + 8, px + 8), 255)
    ImageDraw.Draw(canvas).text((4, 4), chr(cp), font=face, fill=0)
    return canvas


def generate(out: Path, hanazono_dir: Path, babelstone: Path, ipamj: Path) -> dict[str, object]:
    hana = hanazono_dir / "HanaMinB.ttf"
    cps = chosen_code_points(hana, babelstone, ipamj)
    out.mkdir(parents=True, exist_ok=True)
    font_out = out / FONT_FILE
    subset_font(hana, cps, font_out)
    ids = {cp: f"HX{n:04d}" for n, cp in enumerate(cps, start=1)}
    with (out / "refset.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["文字ID", "UCS", "読み", "総画数", "対応UCS", "備考"])
        for cp in cps:
            w.writerow([ids[cp], f"U+{cp:04X}", "", "", "", f"contours {stroke_count(font_out, cp)}"])
    gaiji_dir = out / "gaiji"
    gaiji_dir.mkdir(exist_ok=True)
    for old in gaiji_dir.glob("*.png"):
        old.unlink()
    answers = []
    drawn = random.Random(SEED + 1).sample(cps, N_GAIJI)
    for n, cp in enumerate(drawn):
        for px, tag in ((40, "a"), (20, "s")) if n < SMALL else ((40, "a"),):
            gid = f"refset-{cp:05X}{tag}"
            draw_gaiji(babelstone, cp, px).save(gaiji_dir / f"{gid}.png", optimize=True)
            answers.append({"gaiji_id": gid, "ref_set": SET_NAME, "ref_id": ids[cp], "ucs": f"U+{cp:04X}",
                            "char": chr(cp), "px": px})
    answers.sort(key=lambda a: str(a["gaiji_id"]))
    with (out / "answers.csv").open("w", encoding="utf-8", newline="") as fh:
        w2 = csv.DictWriter(fh, fieldnames=list(answers[0]), lineterminator="\n")
        w2.writeheader()
        w2.writerows(answers)
    record = {
        "generator": "python -m gaiji.sample.refset.generate",
        "set_name": SET_NAME,
        "inputs": {p.name: sha256_file(p) for p in (hana, babelstone, ipamj)},
        "characters": len(cps),
        "gaiji": len(answers),
        "outputs": {p.relative_to(out).as_posix(): sha256_file(p)
                    for p in sorted([font_out, out / "refset.csv", out / "answers.csv", *gaiji_dir.glob("*.png")])},
    }
    (out / "record.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hanazono", type=Path, default=HANAZONO_DIR)
    parser.add_argument("--babelstone", type=Path, default=BABELSTONE)
    parser.add_argument("--ipamj", type=Path, default=IPAMJ)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    record = generate(args.out, args.hanazono, args.babelstone, args.ipamj)
    print(f"{record['characters']} characters, {record['gaiji']} gaiji written to {args.out}")


if __name__ == "__main__":
    main()
