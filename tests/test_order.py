"""Reading order: the reference's sorted_boxes semantics and line grouping."""

from __future__ import annotations

import numpy as np

from openocr.postprocess.order import group_lines, sort_boxes


def box(x, y, w=40, h=12):
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def test_same_line_within_10px_left_to_right():
    boxes = [box(200, 14), box(10, 20), box(100, 12), box(50, 60)]
    assert sort_boxes(boxes) == [1, 2, 0, 3]


def test_10px_or_more_apart_are_separate_lines():
    boxes = [box(200, 10), box(10, 20)]  # exactly 10 px apart: not the same line
    assert sort_boxes(boxes) == [0, 1]
    assert sort_boxes([box(200, 10), box(10, 19)]) == [1, 0]


def test_empty_and_array_input():
    assert sort_boxes([]) == []
    assert sort_boxes(np.stack([box(30, 0), box(0, 0)])) == [1, 0]


def test_group_lines_handles_slanted_lines():
    # a line drifting by 15 px across the page: the reference splits it, grouping does not
    boxes = [box(0, 115, h=30), box(60, 108, h=30), box(120, 100, h=30), box(0, 40, h=30)]
    assert group_lines(boxes) == [3, 0, 1, 2]
    assert sort_boxes(boxes) == [3, 1, 2, 0]
