"""The fast paths of gaiji.render the matcher relies on give exactly the old results."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gaiji.render import canonical_raster, ink_intensity, otsu_threshold


def otsu_by_histogram(values: np.ndarray) -> float:
    """The definition: Otsu over np.histogram(values, 64 bins, range [0, 1])."""
    hist, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    hist = hist.astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 0.5
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * centers)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (m0[-1] * w0 / total - m0) ** 2 / (w0 * (total - w0))
    return float(centers[int(np.argmax(np.nan_to_num(between)))])


@settings(max_examples=300, deadline=None)
@given(
    arrays(
        st.sampled_from([np.float32, np.float64]),
        st.integers(0, 400),
        elements=st.floats(-0.5, 1.5, width=32) | st.sampled_from([0.0, 1.0, 0.5, 63 / 64, 1 / 64]),
    )
)
def test_otsu_threshold_matches_the_histogram_definition(values):
    assert otsu_threshold(values) == otsu_by_histogram(values)


def test_otsu_threshold_ignores_nan_like_histogram():
    values = np.array([0.0, 0.1, np.nan, 0.9, 1.0, 1.0])
    assert otsu_threshold(values) == otsu_by_histogram(values)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_canonical_raster_of_ink_equals_canonical_raster_of_image(seed, inverted):
    rng = np.random.default_rng(seed)
    h, w = (int(x) for x in rng.integers(6, 50, 2))
    image = (rng.random((h, w)) * 255).astype(np.uint8)
    image[rng.random((h, w)) < 0.6] = 255  # mostly paper
    if inverted:
        image = 255 - image
    ink = ink_intensity(image)
    assert np.array_equal(canonical_raster(ink), canonical_raster(image))
    # an ink array whose border is mostly ink is still taken through ink_intensity
    full = np.ones((h, w), np.float32)
    full[h // 2, w // 2] = 0
    assert np.array_equal(canonical_raster(full), canonical_raster(ink_intensity(full)))


def _glyph_images(seed: int) -> list[np.ndarray]:
    """Grey and 1-bit glyph-like images of several sizes, some touching the border, some blank."""
    rng = np.random.default_rng(seed)
    images = []
    for size in (12, 16, 24, 40, 64, 64, 90):
        img = np.full((size, size), 255, np.uint8)
        for _ in range(int(rng.integers(0, 5))):
            y, x = rng.integers(0, size, 2)
            h, w = rng.integers(1, max(2, size // 2), 2)
            img[y : y + h, x : x + w] = int(rng.integers(0, 120))
        if rng.random() < 0.5:
            img = np.where(img < 128, 0, 255).astype(np.uint8)
        images.append(img)
    return images


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_batched_normalisation_equals_the_per_image_one(seed):
    """gaiji.match.prepare.canonical_batch (vectorised over same-size images) against
    query_raster_and_side image by image: same ink side, rasters within one grey level."""
    from gaiji.match.prepare import canonical_batch, query_raster_and_side, remove_specks

    images = _glyph_images(seed)
    batch, sides = canonical_batch([remove_specks(ink_intensity(img)) for img in images])
    for img, raster, side in zip(images, batch, sides):
        expected, expected_side = query_raster_and_side(img)
        assert int(side) == expected_side
        assert int(np.abs(raster.astype(int) - expected.astype(int)).max()) <= 1


def test_border_median_is_numpys_median():
    from gaiji.render import border_median

    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64, np.uint8):
        for n in (1, 2, 3, 4, 7, 8, 252, 253):
            for _ in range(50):
                x = rng.random(n)
                if rng.random() < 0.5:
                    x = np.round(x * 4) / 4  # ties in the middle
                x = (x * 255 if dtype == np.uint8 else x).astype(dtype)
                assert border_median(x) == float(np.median(x))
    assert np.isnan(border_median(np.array([0.1, np.nan, 0.9], np.float32)))
