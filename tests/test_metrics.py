import pytest

from openocr.eval.metrics import CharF1, DetMetric, RecMetric, edit_distance, normalize_text


def test_rec_metric_standard_protocol():
    m = RecMetric(ignore_space=True, is_filter=True, is_lower=True)
    m.update(["Hello!", "w0rld", "a b"], ["HELLO", "world", "ab"])
    r = m.result()
    assert r["num_samples"] == 3
    assert r["acc"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["norm_edit_dis"] == pytest.approx(1 - (1 / 5) / 3, abs=1e-4)


def test_rec_metric_exact_protocol():
    m = RecMetric()
    m.update(["Hello", "a b"], ["hello", "a b"])
    assert m.result()["acc"] == pytest.approx(0.5, abs=1e-4)


def test_normalize_and_edit_distance():
    assert normalize_text("A-b C", ignore_space=True, is_filter=True, is_lower=True) == "abc"
    assert edit_distance("kitten", "sitting") == 3


SQ = [[0, 0], [10, 0], [10, 10], [0, 10]]


def shifted(dx):
    return [[x + dx, y] for x, y in SQ]


def test_det_metric_match_and_ignore():
    m = DetMetric()
    # one exact match, one detection on an ignored region (don't care), one false positive
    m.update([SQ, shifted(100), shifted(200)], [SQ, shifted(100)], [False, True])
    r = m.result()
    assert r["precision"] == pytest.approx(1 / 2)
    assert r["recall"] == pytest.approx(1.0)
    assert r["hmean"] == pytest.approx(2 / 3)


def test_det_metric_iou_threshold_is_strict():
    m = DetMetric()
    m.update([shifted(5)], [SQ], [False])  # IoU = 50/150 < 0.5
    assert m.result()["recall"] == 0.0


def test_char_f1_ignores_box_granularity():
    a, b = CharF1(), CharF1()
    a.update(["TOTAL 12.00"], ["TOTAL", "12.00"])
    b.update(["TOTAL", "12.00"], ["TOTAL 12.00"])
    assert a.result()["char_f1"] == pytest.approx(1.0) == b.result()["char_f1"]
    c = CharF1()
    c.update(["TOTAI"], ["TOTAL"])
    assert c.result()["char_f1"] == pytest.approx(0.8)


def test_auto_protocol_scores_chinese_lines_exactly():
    """The standard [0-9a-z] filter empties Chinese lines, so any prediction would match."""
    from openocr.eval.evaluate import PROTOCOLS, resolve_protocol

    labels = ["对的", "IIIT5K"]
    assert resolve_protocol("auto", labels) == "exact"
    assert resolve_protocol("auto", ["Hello", "w0rld"]) == "standard"
    assert resolve_protocol("auto", ["CAFÉ", "Marché"]) == "standard"  # ICDAR2015 crops
    assert resolve_protocol("standard", labels) == "standard"
    with pytest.raises(ValueError, match="unknown protocol"):
        resolve_protocol("lenient", labels)
    preds = ["错了", "IIIT5K"]
    standard = RecMetric(**PROTOCOLS["standard"])
    standard.update(preds, labels)
    assert standard.result()["acc"] == pytest.approx(1.0, abs=1e-4)  # the trap auto avoids
    exact = RecMetric(**PROTOCOLS[resolve_protocol("auto", labels)])
    exact.update(preds, labels)
    assert exact.result()["acc"] == pytest.approx(0.5, abs=1e-4)
