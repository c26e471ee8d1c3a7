"""A piece of a neighbouring cell's glyph at a picture's edge (a scanned table cut into cells off
its grid) is read past — but only where the picture as drawn is no glyph the verifier believes,
and such a gaiji is never auto-accepted."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gaiji.match.matcher import match_gaiji_set
from gaiji.match.prepare import edge_pieces
from gaiji.match.verified import CUT_NOTE, evidence_notes

pytestmark = pytest.mark.reference


def with_neighbour(glyph: np.ndarray, neighbour: np.ndarray, share: float = 0.3, gap: int = 6) -> np.ndarray:
    """``glyph`` (ink, 255 = ink) cut just right of its ink, then paper, then the left ``share``
    of ``neighbour``'s ink running into the picture's right edge."""
    cols = np.flatnonzero(glyph.max(axis=0) > 127)
    left = glyph[:, : cols[-1] + 1]
    ncols = np.flatnonzero(neighbour.max(axis=0) > 127)
    piece = neighbour[:, ncols[0] : ncols[0] + int(share * (ncols[-1] - ncols[0]))]
    h = max(left.shape[0], piece.shape[0])
    fit = lambda a: np.pad(a, ((0, h - a.shape[0]), (0, 0)))
    return np.concatenate([fit(left), np.zeros((h, gap), np.uint8), fit(piece)], axis=1)


def write_set(folder: Path, pictures: dict[str, np.ndarray]) -> Path:
    (folder / "glyphs").mkdir(parents=True)
    rows = []
    for gid, ink in pictures.items():
        img = Image.fromarray(255 - ink)
        img.save(folder / "glyphs" / f"{gid}.png")
        rows.append([gid, "test", "", img.width, img.height, "", "", "", f"glyphs/{gid}.png"])
    with open(folder / "glyphs.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["gaiji_id", "source", "code", "width", "height", "reading", "usage_count", "note", "image"])
        w.writerows(rows)
    return folder


def test_a_neighbours_piece_is_read_past_and_never_auto_accepted(tmp_path, reference, match_index, hanazono) -> None:  # type: ignore[no-untyped-def]
    pictures = {
        "blank": np.zeros((96, 96), np.uint8),  # left out before ranking: the others renumbered
        "clean": hanazono.render("桜", 96),
        "cut": with_neighbour(hanazono.render("桜", 96), hanazono.render("鷗", 96)),
        # a glyph whose own part stands apart at the picture's edge: 竹 cropped tight on the left
        "bamboo": hanazono.render("竹", 96)[:, np.flatnonzero(hanazono.render("竹", 96).max(axis=0) > 127)[0]:],
    }
    assert edge_pieces(pictures["cut"] / 255.0) is not None and edge_pieces(pictures["bamboo"] / 255.0) is not None
    result = match_gaiji_set(write_set(tmp_path / "set", pictures), reference, ref_sets=[])
    at = {gid: i for i, gid in enumerate(result.gaiji_ids)}
    assert result.blank_ids == ["blank"]
    rk = result.ranked
    char = lambda gid: match_index.rows[int(rk.rows[at[gid], 0])].char
    # read past the piece: the right character, but never auto-accepted, and the evidence says why
    assert char("cut") == char("clean") == "桜"
    assert not rk.auto_accept[at["cut"]] and rk.evidence[at["cut"]].startswith(CUT_NOTE)
    assert evidence_notes(rk.evidence[at["cut"]])["cut_off"]
    # 竹 as drawn verifies: its reading stands, with nothing said about edges
    assert char("bamboo") == "竹" and CUT_NOTE not in rk.evidence[at["bamboo"]]
    assert not evidence_notes(rk.evidence[at["clean"]])["cut_off"]
