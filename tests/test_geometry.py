"""Quad ordering and perspective crops (tall crops rotated)."""

from __future__ import annotations

import cv2
import numpy as np

from openocr.geometry import (
    crop_quad,
    min_area_quad,
    order_quad,
    quad_size,
    sub_quad,
)


def test_order_quad_from_any_permutation():
    want = [[10, 20], [110, 20], [110, 50], [10, 50]]
    rng = np.random.default_rng(0)
    for _ in range(10):
        pts = np.array(want)[rng.permutation(4)]
        assert order_quad(pts).tolist() == want


def test_min_area_quad_of_rotated_rectangle():
    quad, short = min_area_quad(np.array([[0, 10], [10, 0], [40, 30], [30, 40]]))
    assert abs(short - np.hypot(10, 10)) < 1e-3
    assert quad.shape == (4, 2) and abs(cv2.contourArea(quad) - 600) < 1


def test_axis_aligned_crop_matches_slice():
    img = np.random.default_rng(1).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    crop = crop_quad(img, np.array([[10, 5], [50, 5], [50, 25], [10, 25]], np.float32))
    assert crop.shape == (20, 40, 3)
    np.testing.assert_allclose(crop[2:-2, 2:-2].astype(int), img[7:23, 12:48].astype(int), atol=2)


def test_crop_size_uses_longer_opposite_sides():
    assert quad_size(np.array([[0, 0], [30, 0], [40, 10], [0, 10]])) == (40, 14)  # |p1p2| = 14.1


def test_tall_crop_rotated_counter_clockwise():
    img = np.zeros((100, 100, 3), np.uint8)
    img[10:20, 40:60] = 255  # white mark at the TOP of a tall box
    quad = np.array([[40, 10], [60, 10], [60, 90], [40, 90]], np.float32)
    crop = crop_quad(img, quad)
    assert crop.shape[:2] == (20, 80)  # rotated: now wide
    # np.rot90 k=1 (CCW): the top of the box ends up on the left
    assert crop[:, :10].mean() > 200 and crop[:, 20:].mean() < 10
    assert crop_quad(img, quad, rotate_tall=False).shape[:2] == (80, 20)
    # ratio just under 1.5 stays unrotated
    assert crop_quad(img, np.array([[0, 0], [20, 0], [20, 29], [0, 29]], np.float32)).shape[:2] == (
        29,
        20,
    )


def test_sub_quad():
    q = np.array([[0, 0], [100, 0], [100, 10], [0, 10]], np.float32)
    assert sub_quad(q, 0.25, 0.5).tolist() == [[25, 0], [50, 0], [50, 10], [25, 10]]
