"""Small gaiji sets for the review tests: glyphs drawn with Pillow from Hanazono明朝 (a font
other than the IPAmj reference) and candidates CSVs written by hand with real MJ numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

HANAZONO = Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf")

# gaiji_id, character drawn, pixel size, reading, usage, note
GLYPHS = [
    ("E001", "辻", 24, "つじ", 12, "一点しんにょう"),
    ("E002", "高", 32, "たか", 40, ""),
    ("E003", "髙", 16, "たか", 3, "はしご高"),
    ("E004", "斎", 28, "さい", 7, ""),
    ("E005", "邊", 20, "べ", 1, "<b>note</b> & \"quotes\""),
]

# gaiji_id → candidates (rank order): mj, char, ucs, ivs, score, confidence, auto_accept
CANDIDATES = {
    "E001": [("MJ025760", "辻󠄂", "U+8FBB", "U+E0102", 0.91, 0.62, 0), ("MJ025761", "辻󠄃", "U+8FBB", "U+E0103", 0.89, 0.30, 0)],
    "E002": [("MJ028901", "高", "U+9AD8", "", 0.97, 0.998, 1), ("MJ028902", "髙", "U+9AD9", "", 0.80, 0.002, 0)],
    "E003": [("MJ028902", "髙", "U+9AD9", "", 0.88, 0.70, 0), ("MJ028901", "高", "U+9AD8", "", 0.79, 0.20, 0)],
    "E004": [("MJ013049", "斎󠄂", "U+658E", "U+E0102", 0.85, 0.40, 0), ("MJ013050", "斎󠄃", "U+658E", "U+E0103", 0.84, 0.35, 0)],
}


def draw_glyph(char: str, px: int) -> Image.Image:
    font = ImageFont.truetype(str(HANAZONO), px)
    image = Image.new("L", (px, px), 255)
    ImageDraw.Draw(image).text((px // 2, px // 2), char, font=font, fill=0, anchor="mm")
    return image.point(lambda v: 0 if v < 128 else 255).convert("1")


# match v2 columns (additive; absent in older sets): gaiji_id → (no_match, ucs_confidence, evidence) of rank 1
MATCH_V2 = {
    "E004": (0.01, 0.97, "verified against the shortlist: no local difference beyond stroke edges"),
    "E003": (0.72, 0.30, ("looks like 髙 (MJ028902) mirrored (p=0.93): an editing slip? No character is drawn so; "
                          "該当なし suggested: no MJ glyph verified as the same character (p=0.72)")),
    "E001": ("", "", ("verified against the shortlist: no local difference beyond stroke edges; look-alike in MJ: "
                      "高 (MJ028901) is another character drawn almost the same way")),
}


def build_set(folder: Path, *, candidates: bool = True, match_v2: bool = True) -> Path:
    """A gaiji set as `gaiji extract` writes it, plus SET/candidates.csv (with the match-v2
    columns no_match and ucs_confidence unless *match_v2* is False)."""
    (folder / "glyphs").mkdir(parents=True, exist_ok=True)
    with (folder / "glyphs.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gaiji_id", "source", "code", "width", "height", "reading", "usage_count", "note", "image"])
        for i, (gid, char, px, reading, usage, note) in enumerate(GLYPHS):
            draw_glyph(char, px).save(folder / "glyphs" / f"{gid}.png")
            writer.writerow([gid, "EUDC.TTE", f"U+E{i:03X}", px, px, reading, usage, note, f"glyphs/{gid}.png"])
    if candidates:
        with (folder / "candidates.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["gaiji_id", "rank", "mj", "ucs", "ivs", "char", "score", "confidence",
                             "auto_accept", "image_similarity", "reading_match"]
                            + (["no_match", "ucs_confidence", "evidence"] if match_v2 else []))
            for gid, rows in CANDIDATES.items():
                for rank, (mj, char, ucs, ivs, score, conf, auto) in enumerate(rows, 1):
                    v2 = list(MATCH_V2.get(gid, ("", "", ""))) if rank == 1 else ["", "", ""]
                    writer.writerow([gid, rank, mj, ucs, ivs, char, score, conf, auto, round(score - 0.05, 3), 1]
                                    + (v2 if match_v2 else []))
    return folder


@pytest.fixture()
def gaiji_set(tmp_path: Path) -> Path:
    return build_set(tmp_path / "city")
