"""The naive baseline the benchmark prints beside the matcher: every gaiji image cropped to its
ink, scaled to 32×32 pixels and compared by cosine with every reference glyph (brute force).

``python -m gaiji.match.baseline SET [--home DIR]`` runs it end to end in a new process, the
way `gaiji match SET` runs, so the two speeds compare like for like.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from gaiji.extract.gaijiset import read_gaiji_set
    from gaiji.match.bench import baseline_rank, baseline_vectors
    from gaiji.reference import load_reference
    from gaiji.render import canonical_raster, load_image, to_uint8

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args(argv)
    reference = load_reference(args.home)
    refs = baseline_vectors(np.asarray(reference.rasters))
    refs[~np.asarray(reference.has_glyph, bool)] = 0
    records = [r for r in read_gaiji_set(args.set_dir).records if not r.blank]
    rasters = np.stack([to_uint8(canonical_raster(load_image(r.image_path))) for r in records])
    top = baseline_rank(refs, baseline_vectors(rasters))
    print(f"{len(top)} gaiji ranked", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
