"""A set with several broken glyph images: `gaiji match` names every one of them in one error
(read in worker processes or in one), writes nothing, and a missing image is reported likewise —
a user fixes them all before the next run instead of meeting them one run at a time."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from gaiji.errors import ContractError, InputError, UnreadableImages
from gaiji.match import matcher


@pytest.fixture(scope="module")
def municipality(tmp_path_factory) -> Path:
    from gaiji.extract.build import extract_gaiji_set
    from gaiji.sample import sample_dir

    out = tmp_path_factory.mktemp("municipality") / "set"
    extract_gaiji_set([sample_dir()], out)
    return out


def _broken_copy(municipality: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of the set with three images broken in three different chunks of 50."""
    from gaiji.extract.gaijiset import read_gaiji_set

    copy = tmp_path / "set"
    shutil.copytree(municipality, copy)
    records = [r for r in read_gaiji_set(copy).records if not r.blank]
    broken = [records[3], records[120], records[-1]]
    broken[0].image_path.write_bytes(b"not a png")
    data = broken[1].image_path.read_bytes()
    broken[1].image_path.write_bytes(data[: len(data) // 3])  # cut short mid-write
    broken[2].image_path.write_bytes(b"")
    return copy, [str(r.image_path) for r in broken]


@pytest.mark.parametrize("workers", [1, 2])
def test_every_unreadable_image_is_named_at_once(municipality: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    from gaiji.extract.gaijiset import read_gaiji_set

    monkeypatch.setattr(matcher, "PARALLEL_MIN", 1)
    monkeypatch.setattr(matcher, "CHUNK", 50)
    copy, broken = _broken_copy(municipality, tmp_path)
    paths = [str(r.image_path) for r in read_gaiji_set(copy).records if not r.blank]
    preparing = matcher.PreparingQueries(paths, workers=workers)
    assert (preparing._pool is not None) == (workers > 1)
    with pytest.raises(UnreadableImages) as caught:
        preparing.result()
    assert [path for path, _ in caught.value.problems] == broken
    message = str(caught.value)
    assert message.startswith("3 glyph images of the set cannot be read")
    assert all(path in message for path in broken)
    assert isinstance(caught.value, InputError)  # the CLI's clean exit 1


def test_match_writes_nothing_when_images_are_unreadable(reference, match_index, municipality: Path,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gaiji.match.writer import match_set_to_file

    monkeypatch.setattr(matcher, "PARALLEL_MIN", 1)
    monkeypatch.setattr(matcher, "CHUNK", 50)
    monkeypatch.setattr(matcher, "_cores", lambda: 2)
    copy, _broken = _broken_copy(municipality, tmp_path)
    out = tmp_path / "candidates.csv"
    with pytest.raises(UnreadableImages) as caught:
        match_set_to_file(copy, out, home=Path(reference.home).parent, ref_sets=[])
    assert len(caught.value.problems) == 3
    assert not out.exists()
    assert list(tmp_path.glob("candidates*")) == []  # no half-written file either


def test_every_missing_image_is_named(reference, municipality: Path, tmp_path: Path) -> None:
    from gaiji.extract.gaijiset import read_gaiji_set

    copy = tmp_path / "set"
    shutil.copytree(municipality, copy)
    records = [r for r in read_gaiji_set(copy).records if not r.blank]
    gone = [records[0], records[7]]
    for r in gone:
        r.image_path.unlink()
    with pytest.raises(ContractError) as caught:
        matcher.match_gaiji_set(copy, reference, ref_sets=[])
    message = str(caught.value)
    assert message.startswith("2 images of the set are missing")
    assert all(r.gaiji_id in message for r in gone)


def test_the_list_survives_the_trip_back_from_a_worker() -> None:
    problems = [(f"/set/glyphs/{i}.png", f"/set/glyphs/{i}.png: not a readable image") for i in range(25)]
    again = pickle.loads(pickle.dumps(UnreadableImages(problems)))
    assert again.problems == problems
    assert str(again) == str(UnreadableImages(problems))
    assert "… and 5 more" in str(again) and "/set/glyphs/19.png" in str(again) and "/set/glyphs/20.png" not in str(again)
