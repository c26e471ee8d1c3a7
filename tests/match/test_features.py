"""Gradient-direction features on synthetic strokes and on real MJ glyphs."""

from __future__ import annotations

import numpy as np
import pytest

from gaiji.match.features import FEATURE_DIM, direction_planes, fine_features, glyph_features


def bar(horizontal: bool, offset: int = 0) -> np.ndarray:
    r = np.zeros((64, 64), np.uint8)
    if horizontal:
        r[30 + offset : 34 + offset, 8:56] = 255
    else:
        r[8:56, 30 + offset : 34 + offset] = 255
    return r


def test_shape_norm_and_dtype():
    f = glyph_features(np.stack([bar(True), bar(False), np.zeros((64, 64), np.uint8)]))
    assert f.shape == (3, FEATURE_DIM) and f.dtype == np.float32
    assert np.allclose(np.linalg.norm(f[:2], axis=1), 1.0, atol=1e-5)
    assert not f[2].any()  # a blank raster has no gradient, and is not divided by zero


def test_direction_planes_separate_edge_orientations():
    planes = direction_planes(bar(True)[None])[0]
    # a horizontal bar has vertical gradients: directions 2 (up, 90°) and 6 (down, 270°)
    energy = planes.reshape(8, -1).sum(axis=1)
    assert energy[2] + energy[6] > 5 * (energy[0] + energy[4])
    planes_v = direction_planes(bar(False)[None])[0].reshape(8, -1).sum(axis=1)
    assert planes_v[0] + planes_v[4] > 5 * (planes_v[2] + planes_v[6])


def _planes_pixel_by_pixel(raster: np.ndarray) -> np.ndarray:
    """The definition, written plainly with OpenCV: binomial smoothing, 3×3 Sobel with the edge
    repeated, each pixel's magnitude shared between the two directions around its angle."""
    import cv2

    x = raster.astype(np.float32) / 255
    smooth = cv2.filter2D(x, -1, np.outer([1, 2, 1], [1, 2, 1]).astype(np.float32) / 16,
                          borderType=cv2.BORDER_CONSTANT)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = -cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    planes = np.zeros((8, 64, 64), np.float64)
    for (i, j), mag in np.ndenumerate(np.hypot(gx, gy)):
        pos = (np.arctan2(gy[i, j], gx[i, j]) % (2 * np.pi)) / (2 * np.pi) * 8
        lower = int(np.floor(pos)) % 8
        planes[lower, i, j] += mag * (1 - (pos - np.floor(pos)))
        planes[(lower + 1) % 8, i, j] += mag * (pos - np.floor(pos))
    return planes


def test_direction_planes_follow_the_plain_definition(reference):
    rasters = np.stack([*np.asarray(reference.rasters[[reference.index_of(mj) for mj in ("MJ025760", "MJ000001")]]),
                        bar(True, 3), bar(False, -5)])
    fast = direction_planes(rasters)
    for raster, planes in zip(rasters, fast):
        assert np.allclose(planes, _planes_pixel_by_pixel(raster), atol=2e-4)


def test_small_shift_keeps_similarity_orientation_does_not():
    a, shifted, rotated = glyph_features(np.stack([bar(True), bar(True, 2), bar(False)]))
    assert a @ shifted > 0.9
    assert a @ rotated < 0.3


def test_batch_equals_one_by_one(reference):
    rasters = np.asarray(reference.rasters[1000:1010])
    together = glyph_features(rasters)
    alone = np.concatenate([glyph_features(r[None]) for r in rasters])
    assert np.allclose(together, alone, atol=1e-6)


def test_accepts_float_rasters(reference):
    r = np.asarray(reference.rasters[reference.index_of("MJ025760")])
    assert np.allclose(glyph_features(r), glyph_features(r.astype(np.float32) / 255), atol=1e-6)


def test_rejects_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        glyph_features(np.zeros((2, 32, 32), np.uint8))


def test_real_variants_are_close_but_not_identical(reference):
    """辻 one-dot and two-dot MJ glyphs: similar features, still distinguishable."""
    one, two = (reference.rasters[reference.index_of(mj)] for mj in ("MJ025760", "MJ025761"))
    fa, fb = glyph_features(np.stack([one, two]))
    other = glyph_features(reference.rasters[reference.index_of("MJ028901")][None])[0]  # 高
    assert 0.7 < fa @ fb < 0.999
    assert fa @ other < fa @ fb
    fine = fine_features(np.stack([one, two]))
    assert fine.shape == (2, 2048) and fine[0] @ fine[1] < fa @ fb  # finer cells separate more
