"""Reading order for detected boxes.

``sort_boxes`` follows the reference (``sorted_boxes``): sort by the (y, x) of each box's first
point, then one adjacent-swap pass puts boxes whose first points differ by less than
``y_tol`` (10 px) in y into left-to-right order. ``group_lines`` is an optional, more robust
ordering that clusters boxes into lines by vertical overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sort_boxes(boxes: Sequence[np.ndarray] | np.ndarray, y_tol: float = 10.0) -> list[int]:
    """Return the indices of ``boxes`` in reading order (reference semantics).

    >>> sort_boxes(np.array([[[50, 2]] * 4, [[0, 0]] * 4, [[10, 40]] * 4]))
    [1, 0, 2]
    """
    n = len(boxes)
    if n == 0:
        return []
    first = np.array([np.asarray(b)[0][:2] for b in boxes], dtype=np.float64)
    order = sorted(range(n), key=lambda i: (first[i, 1], first[i, 0]))
    for i in range(n - 1):
        for j in range(i, -1, -1):
            a, b = order[j], order[j + 1]
            if abs(first[b, 1] - first[a, 1]) < y_tol and first[b, 0] < first[a, 0]:
                order[j], order[j + 1] = b, a
            else:
                break
    return order


def group_lines(boxes: Sequence[np.ndarray] | np.ndarray, overlap: float = 0.5) -> list[int]:
    """Reading order by line clustering: boxes whose vertical extents overlap by more than
    ``overlap`` of the smaller height share a line; lines top to bottom, boxes left to right."""
    n = len(boxes)
    if n == 0:
        return []
    pts = [np.asarray(b, dtype=np.float64).reshape(-1, 2) for b in boxes]
    y0 = np.array([p[:, 1].min() for p in pts])
    y1 = np.array([p[:, 1].max() for p in pts])
    x0 = np.array([p[:, 0].min() for p in pts])
    lines: list[list[int]] = []
    spans: list[list[float]] = []
    for i in sorted(range(n), key=lambda k: ((y0[k] + y1[k]) / 2, x0[k])):
        for line, span in zip(lines, spans, strict=True):
            inter = min(span[1], y1[i]) - max(span[0], y0[i])
            if inter > overlap * min(span[1] - span[0], y1[i] - y0[i]):
                line.append(i)
                span[0], span[1] = min(span[0], y0[i]), max(span[1], y1[i])
                break
        else:
            lines.append([i])
            spans.append([y0[i], y1[i]])
    lines_sorted = sorted(zip(lines, spans, strict=True), key=lambda ls: (ls[1][0] + ls[1][1]) / 2)
    return [i for line, _ in lines_sorted for i in sorted(line, key=lambda k: x0[k])]
