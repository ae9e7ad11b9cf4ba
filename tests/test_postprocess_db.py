"""DB post-processing on synthetic probability maps."""

from __future__ import annotations

import numpy as np
import pytest

from openocr.postprocess.db import DBPostConfig, DBPostProcessor
from openocr.preprocess.det import DetPreConfig, ResizeMeta, det_preprocess, det_resize


def rect_map(h=64, w=128, box=(20, 40, 20, 100), value=0.9):
    prob = np.zeros((h, w), np.float32)
    y0, y1, x0, x1 = box
    prob[y0:y1, x0:x1] = value
    return prob


def span(quad):
    q = np.asarray(quad)
    return q[:, 0].max() - q[:, 0].min(), q[:, 1].max() - q[:, 1].min()


def test_one_rectangle_one_quad_growing_with_unclip():
    post = DBPostProcessor()
    meta = ResizeMeta(64, 128, 64, 128)
    sizes = []
    for ratio in (0.5, 1.0, 1.5, 2.5):
        res = post(prob := rect_map(), meta, unclip_ratio=ratio)
        assert res.boxes.shape == (1, 4, 2) and res.boxes.dtype == np.int32
        sizes.append(span(res.boxes[0]))
        assert res.scores[0] == pytest.approx(0.9, abs=1e-4)
    widths, heights = zip(*sizes, strict=True)
    assert list(widths) == sorted(widths) and widths[0] < widths[-1]
    assert list(heights) == sorted(heights) and heights[0] < heights[-1]
    # the quad contains the rectangle and is ordered TL, TR, BR, BL
    q = post(prob, meta).boxes[0]
    assert q[0, 0] <= 20 and q[0, 1] <= 20 and q[2, 0] >= 99 and q[2, 1] >= 39
    assert q[0, 0] < q[1, 0] and q[1, 1] < q[2, 1]


def test_mapping_back_through_resize():
    # a 1000 x 500 source resized to a 480 x 960 map (ratio 0.96) -> boxes scale back
    src = np.zeros((500, 1000, 3), np.uint8)
    _, meta = det_resize(src, DetPreConfig(limit_side_len=960, limit_type="max"))
    assert (meta.resized_h, meta.resized_w) == (480, 960)
    prob = np.zeros((480, 960), np.float32)
    prob[96:144, 192:768] = 0.95
    near = DBPostProcessor(unclip_ratio=0.01)(prob, meta).boxes[0]
    xs, ys = near[:, 0], near[:, 1]
    assert abs(xs.min() - 192 / 0.96) <= 3 and abs(xs.max() - 767 / 0.96) <= 3
    assert abs(ys.min() - 96 / 0.96) <= 3 and abs(ys.max() - 143 / 0.96) <= 3


def test_boxes_clipped_to_source():
    prob = rect_map(box=(0, 30, 0, 128))
    q = DBPostProcessor(unclip_ratio=3.0)(prob, ResizeMeta(64, 128, 64, 128)).boxes[0]
    assert q.min() >= 0 and q[:, 0].max() <= 128 and q[:, 1].max() <= 64


def test_thresholds_min_size_and_max_candidates():
    meta = ResizeMeta(64, 128, 64, 128)
    post = DBPostProcessor()
    assert len(post(rect_map(value=0.5), meta)) == 0  # score 0.5 < box_thresh 0.6
    assert len(post(rect_map(value=0.5), meta, box_thresh=0.4)) == 1
    assert len(post(rect_map(value=0.25), meta, box_thresh=0.1)) == 0  # below thresh 0.3
    assert len(post(rect_map(box=(10, 12, 10, 60)), meta)) == 0  # 2 px tall: under min size
    many = np.zeros((64, 128), np.float32)
    for k in range(5):
        many[5 + 12 * k : 13 + 12 * k, 10:100] = 0.9
    assert len(post(many, meta)) == 5
    assert len(post(many, meta, max_candidates=2)) == 2


def test_overrides_do_not_persist_and_mask_thresh_alias():
    meta = ResizeMeta(64, 128, 64, 128)
    post = DBPostProcessor()
    prob = rect_map(value=0.5)
    assert len(post(prob, meta, box_thresh=0.4)) == 1
    assert post.config == DBPostConfig()  # unchanged after the call
    assert len(post(prob, meta)) == 0
    assert len(post(rect_map(value=0.35), meta, mask_thresh=0.4, box_thresh=0.1)) == 0
    assert len(post(rect_map(value=0.35), meta, thresh=0.3, box_thresh=0.1)) == 1
    with pytest.raises(TypeError, match="unknown DB post-processing option"):
        post(prob, meta, box_thres=0.1)


def test_slow_vs_fast_score_on_a_rotated_blob():
    prob = np.zeros((100, 100), np.float32)
    yy, xx = np.mgrid[:100, :100]
    prob[np.abs((xx - 50) + (yy - 50)) < 8] = 0.9  # a diagonal band: its box is mostly empty
    prob[np.abs((xx - 50) - (yy - 50)) > 40] = 0
    meta = ResizeMeta(100, 100, 100, 100)
    slow = DBPostProcessor(score_mode="slow")(prob, meta)
    fast = DBPostProcessor(score_mode="fast")(prob, meta, box_thresh=0.0)
    assert len(slow) == 1 and slow.scores[0] > fast.scores[0]


def test_poly_mode_returns_polygons():
    prob = rect_map()
    prob[40:55, 80:100] = 0.9  # an L shape
    res = DBPostProcessor(box_type="poly")(prob, ResizeMeta(64, 128, 64, 128))
    assert len(res) == 1 and res.boxes[0].ndim == 2 and len(res.boxes[0]) >= 4
    assert res.boxes[0].dtype == np.int32


def test_det_preprocess_rgb_imagenet_and_multiples_of_32():
    img = np.zeros((1000, 700, 3), np.uint8)
    img[..., 0] = 255  # pure red
    x, meta = det_preprocess(img)  # 0.7 MP: within the default 960^2 pixel budget
    assert x.shape == (1, 3, 992, 704) and x.dtype == np.float32
    assert meta.resized_h % 32 == 0 and meta.resized_w % 32 == 0
    np.testing.assert_allclose(
        x[0, :, 0, 0], [(1 - 0.485) / 0.229, -0.456 / 0.224, -0.406 / 0.225], rtol=1e-5
    )
    small = det_preprocess(np.zeros((100, 50, 3), np.uint8))[1]
    assert (small.resized_h, small.resized_w) == (96, 64)  # never upscaled, nearest multiple
    tiny = det_resize(np.zeros((10, 12, 3), np.uint8))[1]
    assert (tiny.src_h, tiny.src_w, tiny.frame_h, tiny.frame_w) == (10, 12, 32, 32)


def test_det_resize_limit_types():
    receipt = np.zeros((4000, 1000, 3), np.uint8)  # a tall scan: 4 MP
    area = det_resize(receipt, DetPreConfig(limit_side_len=960))[1]
    assert (area.resized_h, area.resized_w) == (1920, 480)  # 960^2 pixels, aspect kept
    long_side = det_resize(receipt, DetPreConfig(limit_side_len=960, limit_type="max"))[1]
    assert (long_side.resized_h, long_side.resized_w) == (960, 256)  # 240 -> nearest 32
    short_side = det_resize(receipt, DetPreConfig(limit_side_len=1280, limit_type="min"))[1]
    assert (short_side.resized_h, short_side.resized_w) == (5120, 1280)
    with pytest.raises(ValueError, match="limit_type"):
        DetPreConfig(limit_type="long")
    with pytest.raises(ValueError, match="limit_side_len"):
        DetPreConfig(limit_side_len=0)
