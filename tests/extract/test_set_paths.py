"""Image paths in glyphs.csv must stay inside the set folder, symbolic links followed — also
when folders are resolved once for all their files (read_gaiji_set's fast path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from gaiji.errors import ContractError
from gaiji.extract.gaijiset import read_gaiji_set

HEADER = "gaiji_id,source,code,width,height,reading,usage_count,note,image"


def _set_with(tmp_path: Path, images: list[str]) -> Path:
    root = tmp_path / "set"
    (root / "glyphs").mkdir(parents=True)
    lines = [HEADER]
    for i, image in enumerate(images):
        lines.append(f"G{i},a,U+E{100 + i:03X},8,8,,0,,{image}")
    (root / "glyphs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_paths_inside_the_set_are_read(tmp_path: Path) -> None:
    root = _set_with(tmp_path, ["glyphs/a.png", "glyphs/b.png", "glyphs/./c.png", "glyphs/sub/../d.png", ""])
    Image.new("L", (8, 8), 0).save(root / "glyphs" / "a.png")
    gset = read_gaiji_set(root)
    assert [r.image for r in gset.records] == ["glyphs/a.png", "glyphs/b.png", "glyphs/./c.png",
                                              "glyphs/sub/../d.png", "glyphs/G4.png"]


@pytest.mark.parametrize("bad", ["../outside.png", "glyphs/../../outside.png", "/etc/passwd", "linked/a.png",
                                 "glyphs/file-link.png", "glyphs/../.."])
def test_paths_that_leave_the_set_are_refused(tmp_path: Path, bad: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    Image.new("L", (8, 8), 0).save(outside / "a.png")
    root = _set_with(tmp_path, ["glyphs/ok.png", bad])
    (root / "linked").symlink_to(outside, target_is_directory=True)  # a folder link leaving the set
    (root / "glyphs" / "file-link.png").symlink_to(outside / "a.png")
    with pytest.raises(ContractError, match="outside the set"):
        read_gaiji_set(root)
