"""benchmarks/compare.py: our side runs with tiny random models (meaningless numbers, code path
only) and scores like ``openocr eval``; the PP-OCRv4 worker runs when its venv exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine_models import export_tiny_rec, make_dark_det_onnx
from openocr.eval.evaluate import evaluate_e2e, load_det_items, load_rec_items

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def compare(load_script):
    return load_script("benchmarks/compare.py")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("cmp_models")
    return make_dark_det_onnx(d / "det.onnx"), export_tiny_rec(d / "rec.onnx")


def test_ours_only_table_and_json(compare, models, rec_label_dir, det_eval_dir, tmp_path, capsys):
    det, rec = models
    out = tmp_path / "cmp.json"
    argv = ["--only", "ours", "--det-model", str(det), "--rec-model", str(rec)]
    argv += ["--sets", str(rec_label_dir), str(det_eval_dir), "--max-samples", "4"]
    argv += ["--json", str(out), "--drop-score", "0", "--predictions", str(tmp_path / "p")]
    assert compare.main(argv) == 0
    table = capsys.readouterr().out
    assert "word acc (standard)" in table and "char F1" in table and "det hmean" in table
    res = json.loads(out.read_text())
    assert res["meta"]["systems"]["ours"]["threads"] == 2
    rec_r, e2e_r = res["sets"][rec_label_dir.name], res["sets"][det_eval_dir.name]
    assert rec_r["task"] == "rec" and rec_r["num_samples"] == 4 and "ppocr" not in rec_r
    assert 0 <= rec_r["ours"]["acc"] <= 1 and rec_r["ours"]["ms_per_image"] > 0
    assert e2e_r["task"] == "e2e" and e2e_r["num_samples"] == 4
    assert 0 <= e2e_r["ours"]["det_hmean"] <= 1 and e2e_r["ours"]["ms_per_image"] > 0
    pages = (tmp_path / "p" / f"{det_eval_dir.name}.ours.jsonl").read_text().splitlines()
    assert len(pages) == 4 and "lines" in json.loads(pages[0])


class Oracle:
    """A 'system' that returns the ground truth (numpy-free points, like the worker's JSON)."""

    name = "oracle"

    def __init__(self, rec_items, det_items) -> None:
        self.texts = {str(p): t for p, t in rec_items}
        self.pages = {str(p): inst for p, inst in det_items}

    def rec(self, paths):
        return [self.texts[str(p)] for p in paths], 0.01

    def ocr(self, path):
        inst = [i for i in self.pages[str(path)] if not i.get("ignore")]
        return [(i["points"], i["text"]) for i in inst], 0.02


def test_scoring_with_perfect_predictions(compare, rec_label_dir, det_eval_dir):
    rec_items, det_items = load_rec_items(rec_label_dir), load_det_items(det_eval_dir)
    oracle = Oracle(rec_items, det_items)
    r = compare.run_rec(oracle, rec_items, "standard")
    assert r["acc"] == pytest.approx(1, abs=1e-4) and r["num_samples"] == len(rec_items)
    e = compare.run_e2e(oracle, det_items)
    assert e["char_f1"] == e["char_f1_case_sensitive"] == 1.0
    assert e["det_hmean"] == 1.0 and e["char_f1_dontcare"] == 1.0
    assert e["ms_per_image"] == pytest.approx(20.0)


def test_dontcare_variant_drops_lines_in_ignored_regions(compare):
    box = [[0, 0], [100, 0], [100, 20], [0, 20]]
    ign = [[0, 50], [100, 50], [100, 70], [0, 70]]
    items = [
        (
            Path("x.png"),
            [
                {"points": box, "text": "abc", "ignore": False},
                {"points": ign, "text": "###", "ignore": True},
            ],
        )
    ]
    pages = [[(box, "ABC"), ([[2, 52], [98, 52], [98, 68], [2, 68]], "zzz")]]
    r = compare.score_e2e(pages, items)
    assert r["char_f1"] == pytest.approx(2 * 0.5 * 1 / 1.5)  # zzz counts against precision
    assert r["char_f1_dontcare"] == 1.0 and r["char_f1_case_sensitive"] == 0.0
    assert r["det_hmean"] == 1.0  # DetMetric already ignores the second box


def test_e2e_scores_match_openocr_eval(compare, models, det_eval_dir):
    det, rec = models
    items = load_det_items(det_eval_dir)
    ours = compare.run_e2e(compare.Ours(str(det), str(rec), 2, drop_score=0.0), items)
    ref = evaluate_e2e(det, rec, det_eval_dir, drop_score=0.0)
    for key in ("char_f1", "char_f1_dontcare", "char_f1_case_sensitive", "det_hmean"):
        assert ours[key] == pytest.approx(ref[key]), key


def test_missing_venv_is_a_clear_error(compare, tmp_path):
    with pytest.raises(SystemExit, match="setup_compare.sh"):
        compare.PPOCR(tmp_path / "nope" / "python", threads=2)


@pytest.mark.skipif(
    not (BENCH / ".venv-rapidocr" / "bin" / "python").is_file(),
    reason="PP-OCRv4 venv absent (bash benchmarks/setup_compare.sh)",
)
def test_ppocr_worker_reads_rendered_words(compare, rec_label_dir, det_eval_dir):
    pp = compare.PPOCR(compare.DEFAULT_VENV_PYTHON, threads=1)
    try:
        assert pp.info["intra_op_num_threads"]["rec"] == 1
        r = compare.run_rec(pp, load_rec_items(rec_label_dir)[:6], "standard")
        assert r["acc"] >= 0.5 and r["num_samples"] == 6
        e = compare.run_e2e(pp, load_det_items(det_eval_dir)[:2])
        assert e["char_f1"] > 0.5
    finally:
        pp.close()
    assert pp.proc.returncode == 0


def test_unknown_rec_sets_pick_protocol_from_labels(compare, tmp_path):
    en, ch = tmp_path / "en_set", tmp_path / "ch_set"
    for d, text in ((en, "Hello"), (ch, "中文 line")):
        d.mkdir()
        (d / "labels.tsv").write_text(f"images/a.png\t{text}\n", encoding="utf-8")
    assert compare.set_task(en) == ("rec", "standard")
    assert compare.set_task(ch) == ("rec", "exact")


def test_e2e_with_ground_truth_boxes(models, det_eval_dir, tmp_path):
    """``--det-model gt`` crops the labelled boxes (no detector); a corrupt page is counted."""
    import shutil

    from openocr.cli.main import main

    _, rec = models
    data = tmp_path / "set"
    shutil.copytree(det_eval_dir, data)
    (data / "images/bad.png").write_bytes(b"not a png")
    with (data / "labels.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"image": "images/bad.png", "instances": []}) + "\n")
    out = tmp_path / "r.json"
    argv = ["eval", "e2e", "--data", str(data), "--det-model", "gt", "--rec-model", str(rec)]
    assert main([*argv, "--json", str(out)]) == 0
    r = json.loads(out.read_text())["set"]
    assert r["failed_images"] == 1
    assert 0.0 <= r["char_f1"] <= 1.0 and not any(k.startswith("det_") for k in r)
