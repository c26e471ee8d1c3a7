"""Obtain the two pinned reference sources and verify them by SHA-256.

* IPAmj明朝 (``ipamjm.ttf`` 005.01): a path given by the user (``--font`` or
  ``$GAIJI_IPAMJ_FONT``), else the Debian package ``fonts-ipamj-mincho``.
* The MJ table database (``moji.db``) from the npm package ``@mandel59/mojidata``, fetched
  with ``npm pack`` into the cache (``$GAIJI_CACHE``).

Both are checked against ``gaiji/reference/pins.json``. Nothing here is ever committed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gaiji.errors import ReferenceMissing, SourceError
from gaiji.fsutil import atomic_write, sha256_file
from gaiji.paths import PACKAGE_DIR, gaiji_cache

FONT_ENV = "GAIJI_IPAMJ_FONT"
MOJIDB_ENV = "GAIJI_MOJI_DB"


def load_pins() -> dict:
    """The SHA-256 pins of the sources (``gaiji/reference/pins.json``)."""
    return json.loads((PACKAGE_DIR / "reference" / "pins.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class VerifiedSource:
    """A source file whose SHA-256 was checked against its pin."""

    path: Path
    sha256: str
    version: str
    pinned: bool  # False only when the user explicitly allowed an unpinned file


def _check(
    path: Path, expected: str, what: str, allow_unpinned: bool, remedy: str = "Delete it and run"
) -> tuple[str, bool]:
    """*remedy* starts the advice; a file the user named (or a system font) is not to be deleted."""
    actual = sha256_file(path)
    if actual == expected:
        return actual, True
    if allow_unpinned:
        return actual, False
    raise SourceError(
        f"{what} at {path} has SHA-256 {actual[:16]}…, not the pinned {expected[:16]}… — "
        f"it is a different version or a damaged download. {remedy} "
        "`gaiji reference build` again, or pass --allow-unpinned to build from it anyway "
        "(the build then records the unpinned hash)."
    )


def find_font(font: str | os.PathLike[str] | None = None, *, allow_unpinned: bool = False) -> VerifiedSource:
    """Locate and verify IPAmj明朝."""
    pin = load_pins()["ipamj_font"]
    given = font or os.environ.get(FONT_ENV)
    path = Path(given).expanduser() if given else Path(pin["debian_path"])
    if not path.is_file():
        where = f"{path} (from --font / ${FONT_ENV})" if given else str(path)
        raise ReferenceMissing(
            f"IPAmj明朝 font not found at {where}. Install it with "
            f"`sudo apt-get install {pin['debian_package']}`, or download ipamjm.ttf "
            f"(version {pin['version']}) from the IPA 文字情報基盤 site and pass "
            f"--font PATH or set ${FONT_ENV}."
        )
    remedy = (f"Point --font (or ${FONT_ENV}) at ipamjm.ttf version {pin['version']} "
              f"(Debian: {pin['debian_package']}) and run")
    digest, pinned = _check(path, pin["sha256"], "IPAmj明朝 font", allow_unpinned, remedy)
    return VerifiedSource(path, digest, pin["version"], pinned)


def find_moji_db(*, allow_unpinned: bool = False, progress_note=None) -> VerifiedSource:
    """Locate (or fetch with ``npm pack``) and verify the mojidata ``moji.db``."""
    pin = load_pins()["mojidata"]
    given = os.environ.get(MOJIDB_ENV)
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise ReferenceMissing(f"${MOJIDB_ENV} points to {path}, which does not exist")
        remedy = (f"Point ${MOJIDB_ENV} at moji.db of {pin['npm_package']}@{pin['version']} "
                  f"(or unset it to fetch that with npm) and run")
        digest, pinned = _check(path, pin["sha256"], "moji.db", allow_unpinned, remedy)
        return VerifiedSource(path, digest, pin["version"], pinned)
    target = gaiji_cache() / f"mojidata-{pin['version']}" / "moji.db"
    if target.is_file():
        actual = sha256_file(target)
        if actual == pin["sha256"]:
            return VerifiedSource(target, actual, pin["version"], True)
        target.unlink()  # damaged or partial: fetch again
    if progress_note:
        progress_note(f"fetching {pin['npm_package']}@{pin['version']} with npm pack")
    _npm_pack_moji_db(pin, target)
    digest, pinned = _check(target, pin["sha256"], "moji.db", allow_unpinned)
    return VerifiedSource(target, digest, pin["version"], pinned)


def _npm_pack_moji_db(pin: dict, target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ReferenceMissing(
            "npm is needed to fetch the MJ table (npm package "
            f"{pin['npm_package']}@{pin['version']}): `sudo apt-get install npm`, or fetch "
            f"moji.db yourself and set ${MOJIDB_ENV}=/path/to/moji.db"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        spec = f"{pin['npm_package']}@{pin['version']}"
        result = subprocess.run(
            [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise SourceError(
                f"`npm pack {spec}` failed ({result.stderr.strip()[-400:] or 'no tarball'}). "
                "Check that the npm registry is reachable, or set "
                f"${MOJIDB_ENV} to a moji.db you fetched yourself."
            )
        tarball = tarballs[0]
        _check(tarball, pin["tarball_sha256"], f"{spec} tarball", allow_unpinned=False)
        try:
            with tarfile.open(tarball, "r:gz") as archive:
                member = archive.getmember(pin["member"])
                source = archive.extractfile(member)
                if source is None:
                    raise SourceError(f"{spec}: {pin['member']} is not a regular file")
                with atomic_write(target, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
        except (tarfile.TarError, KeyError, OSError) as exc:
            raise SourceError(f"{spec}: cannot unpack {pin['member']} ({exc})") from exc
