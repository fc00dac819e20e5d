"""Typeface randomisation of the plate trainer: bent glyphs stay the same character."""

from __future__ import annotations

import cv2
import numpy as np

from training.plates.synthetic_plates import elastic_glyph


def _glyph() -> np.ndarray:
    """A 140 px tall stand-in glyph: a frame with a cross bar (no font needed)."""
    mask = np.zeros((140, 100), np.uint8)
    cv2.rectangle(mask, (10, 10), (89, 129), 255, thickness=14)
    cv2.line(mask, (10, 70), (89, 70), 255, thickness=14)
    return mask


def test_elastic_glyph_moves_ink_by_at_most_its_amplitude() -> None:
    glyph = _glyph()
    amplitude = 0.05
    bent = elastic_glyph(glyph, np.random.default_rng(3), amplitude)
    pad = (bent.shape[0] - glyph.shape[0]) // 2
    original = cv2.copyMakeBorder(glyph, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    assert bent.shape == original.shape
    assert np.count_nonzero((bent > 127) != (original > 127)) > 200  # it did bend
    # every inked pixel of the bent glyph lies near ink of the original
    distance = cv2.distanceTransform((original <= 127).astype(np.uint8), cv2.DIST_L2, 5)
    # per axis up to the amplitude, plus the bicubic field's overshoot (up to ~1.5x)
    assert distance[bent > 127].max() <= 2 * amplitude * glyph.shape[0] * 2**0.5 + 1
    ink, bent_ink = np.count_nonzero(original > 127), np.count_nonzero(bent > 127)
    assert 0.8 * ink < bent_ink < 1.2 * ink


def test_elastic_glyph_depends_only_on_the_seed() -> None:
    glyph = _glyph()
    first = elastic_glyph(glyph, np.random.default_rng(5), 0.05)
    again = elastic_glyph(glyph, np.random.default_rng(5), 0.05)
    other = elastic_glyph(glyph, np.random.default_rng(6), 0.05)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)

