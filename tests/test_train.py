"""Training smoke tests on tiny models and tiny rendered datasets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from openocr.checkpoint import load_checkpoint  # noqa: E402
from openocr.config import TrainConfig, load_config  # noqa: E402
from openocr.train.loop import StepTimer, Trainer  # noqa: E402


def rec_cfg(data: Path, out: Path, *extra: str) -> TrainConfig:
    return load_config(
        TrainConfig,
        None,
        [
            "Global.task=rec",
            f"Global.output_dir={out}",
            "Global.charset=en",
            "Global.max_steps=40",
            "Global.log_every=1",
            "Global.eval_every=0",
            "Global.num_threads=1",
            "Model.name=repsvtr_tiny",
            "Optimizer.lr=0.003",
            "Optimizer.weight_decay=0.0",
            "Scheduler.warmup_steps=2",
            f"Train.sources=[{{type: label_file, data_dir: {data}, label_file: {data / 'train.txt'}}}]",
            "Train.transforms={height: 32, width: 128}",
            "Train.loader.batch_size=8",
            "Train.loader.num_workers=0",
            f"Eval.sources=[{{type: eval_dir, path: {data}}}]",
            *extra,
        ],
    )


def cli_train_cmd(launcher: list[str], data: Path, out: Path, *extra: str) -> list[str]:
    """``python [launcher] -m openocr.cli.main train`` on a tiny RepSVTR (later -o wins)."""
    import sys

    return [
        sys.executable,
        *launcher,
        "-m",
        "openocr.cli.main",
        "train",
        "-c",
        str(Path(__file__).resolve().parents[1] / "configs/rec/repsvtr_en.yml"),
        "-o",
        f"Global.output_dir={out}",
        "Global.eval_every=0",
        "Global.log_every=1",
        "Global.num_threads=1",
        "Model.name=repsvtr_tiny",
        "Train.transforms={height: 32, width: 128}",
        f"Train.sources=[{{type: eval_dir, path: {data}}}]",
        "Train.loader.batch_size=4",
        "Train.loader.num_workers=0",
        "Eval.sources=[]",
        *extra,
    ]


def losses(out: Path) -> list[float]:
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if "loss" in r]


def test_rec_loss_goes_down_and_checkpoint_loads(rec_label_dir: Path, tmp_path: Path):
    out = tmp_path / "run"
    result = Trainer(rec_cfg(rec_label_dir, out)).fit()
    assert result["step"] == 40
    curve = losses(out)
    assert curve[-1] < 0.9 * curve[0], curve
    model, meta = load_checkpoint(out / "latest.safetensors")
    assert meta["model_name"] == "repsvtr_tiny" and meta["charset"].name == "en"
    assert meta["config"]["Global"]["max_steps"] == 40
    assert (out / "config.yml").is_file() and (out / "train.log").is_file()


def test_resume_gives_identical_next_step(rec_label_dir: Path, tmp_path: Path):
    extra = ("Global.max_steps=6",)
    straight = Trainer(rec_cfg(rec_label_dir, tmp_path / "a", *extra))
    straight.fit()
    interrupted = Trainer(rec_cfg(rec_label_dir, tmp_path / "b", *extra))
    interrupted.fit(until_step=4)
    resumed = Trainer(
        rec_cfg(rec_label_dir, tmp_path / "b", *extra, f"Global.resume={tmp_path / 'b'}")
    )
    assert resumed.step == 4
    resumed.fit()
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_finetune_from_pretrained_reports_keys(rec_label_dir: Path, tmp_path: Path):
    base = tmp_path / "base"
    Trainer(rec_cfg(rec_label_dir, base, "Global.max_steps=2")).fit()
    t = Trainer(
        rec_cfg(
            rec_label_dir,
            tmp_path / "ft",
            "Global.max_steps=2",
            f"Global.pretrained={base / 'latest.safetensors'}",
        )
    )
    log = (tmp_path / "ft" / "train.log").read_text()
    assert "0 missing, 0 unexpected, 0 shape-mismatched" in log
    assert t.fit()["step"] == 2


def test_rec_eval_during_training_and_best(rec_label_dir: Path, tmp_path: Path):
    out = tmp_path / "ev"
    result = Trainer(
        rec_cfg(
            rec_label_dir, out, "Global.max_steps=4", "Global.eval_every=2", "Global.ema_decay=0.9"
        )
    ).fit()
    assert result["metrics"]["num_samples"] == 20
    assert "ema_acc" in result["metrics"]
    assert (out / "best.safetensors").is_file()


def test_det_loss_goes_down(det_eval_dir: Path, tmp_path: Path):
    out = tmp_path / "det"
    cfg = load_config(
        TrainConfig,
        None,
        [
            "Global.task=det",
            f"Global.output_dir={out}",
            "Global.max_steps=25",
            "Global.log_every=1",
            "Global.eval_every=0",
            "Global.num_threads=1",
            "Model.name=repvit_db_tiny",
            "Optimizer.name=Adam",
            "Optimizer.lr=0.003",
            "Optimizer.weight_decay=0.0",
            "Scheduler.warmup_steps=2",
            f"Train.sources=[{{type: eval_dir, path: {det_eval_dir}}}]",
            "Train.transforms={size: 128, crop: false, rotate: 0}",
            "Train.loader.batch_size=4",
            "Train.loader.num_workers=0",
        ],
    )
    Trainer(cfg).fit()
    curve = losses(out)
    assert min(curve[-3:]) < curve[0], curve


def test_task_model_mismatch_rejected(rec_label_dir: Path, tmp_path: Path):
    from openocr.errors import ConfigError

    with pytest.raises(ConfigError, match="det model"):
        Trainer(rec_cfg(rec_label_dir, tmp_path / "x", "Model.name=repvit_db_tiny"))


def test_ddp_two_processes_on_cpu(rec_label_dir: Path, tmp_path: Path):
    """DDP under torchrun (gloo on CPU stands in for NCCL): both ranks train, rank 0 saves."""
    import subprocess

    out = tmp_path / "ddp"
    launcher = ["-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29533"]
    cmd = cli_train_cmd(launcher, rec_label_dir, out, "Global.max_steps=4", "Global.log_every=2")
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(results) == 2 and all(r["samples_seen"] == 4 * 4 * 2 for r in results)
    assert (out / "latest.safetensors").is_file()


@pytest.mark.parametrize("main_loss", ["dice", "bce"])
def test_db_loss_variants_prefer_the_target(main_loss: str):
    from openocr.train.losses import DBLoss

    gt = torch.zeros(1, 32, 32)
    gt[:, 8:16, 4:28] = 1
    batch = {
        "shrink_map": gt,
        "shrink_mask": torch.ones_like(gt),
        "threshold_map": torch.full_like(gt, 0.3),
        "threshold_mask": torch.ones_like(gt),
    }
    perfect = torch.stack([gt, torch.full_like(gt, 0.3), gt], 1)
    wrong = torch.stack([1 - gt, torch.full_like(gt, 0.7), 1 - gt], 1)
    loss = DBLoss(main_loss=main_loss)
    assert (
        loss(perfect.clamp(0.01, 0.99), batch)["loss"]
        < loss(wrong.clamp(0.01, 0.99), batch)["loss"]
    )
    with pytest.raises(ValueError):
        DBLoss(main_loss="focal")


def test_lmdb_source_trains(rec_label_dir: Path, tmp_path: Path):
    """The OpenOCR LMDB layout (1-based image-/label- keys, num-samples) feeds training."""
    lmdb = pytest.importorskip("lmdb")
    db = tmp_path / "lmdb"
    env = lmdb.open(str(db), map_size=1 << 26)
    lines = (rec_label_dir / "train.txt").read_text().splitlines()
    with env.begin(write=True) as txn:
        for i, line in enumerate(lines, 1):
            rel, text = line.split("\t")
            txn.put(b"image-%09d" % i, (rec_label_dir / rel).read_bytes())
            txn.put(b"label-%09d" % i, text.encode())
        txn.put(b"num-samples", str(len(lines)).encode())
    env.close()
    out = tmp_path / "run"
    cfg = rec_cfg(
        rec_label_dir,
        out,
        "Global.max_steps=3",
        f"Train.sources=[{{type: lmdb, path: {db}}}]",
        "Train.loader.num_workers=1",
    )
    assert Trainer(cfg).fit()["samples_seen"] == 24


def test_msr_buckets_and_training(rec_label_dir: Path, tmp_path: Path):
    from openocr.train.rec_data import msr_size

    assert [msr_size(r) for r in (0.4, 1, 2, 3, 4, 6.2, 20)] == [
        (64, 64),
        (64, 64),
        (96, 48),
        (112, 40),
        (128, 32),
        (192, 32),
        (256, 32),
    ]
    out = tmp_path / "msr"
    cfg = rec_cfg(
        rec_label_dir,
        out,
        "Global.max_steps=3",
        "Train.transforms={height: 32, msr: true, max_ratio: 8}",
    )
    result = Trainer(cfg).fit()
    assert result["samples_seen"] == 24
    with pytest.raises(Exception, match="unknown rec transform keys"):
        Trainer(rec_cfg(rec_label_dir, out, "Train.transforms={height: 32, msrr: true}"))


def test_det_copy_paste_adds_text_boxes(det_eval_dir: Path):
    import numpy as np

    from openocr.train.det_data import DetBatcher
    from openocr.train.sources import eval_dir_source

    src = eval_dir_source(str(det_eval_dir), "det")
    batcher = DetBatcher(size=256, rotate=0, crop=False, copy_paste=1.0)
    rng = np.random.default_rng(0)
    img0, inst0 = src.load(0)
    batcher._copy_paste(img0, [np.float32(i["points"]) for i in inst0], [False] * len(inst0), rng)
    assert batcher._bank, "lines of the first sample are banked"
    img1, inst1 = src.load(1)
    polys = [np.float32(i["points"]) for i in inst1]
    out, new_polys, ignores = batcher._copy_paste(img1, list(polys), [False] * len(polys), rng)
    assert len(new_polys) > len(polys) and len(ignores) == len(new_polys)
    assert not np.array_equal(out, img1)
    sample = batcher.prepare(img1, inst1, rng)
    assert sample["shrink_map"].sum() > 0


def test_batch_padding_groups_similar_widths(rec_label_dir: Path, tmp_path: Path):
    import numpy as np

    from openocr.charset import Charset
    from openocr.train.rec_data import RecBatcher
    from openocr.train.stream import BatchStream

    batcher = RecBatcher(Charset.load("en"), 32, 256, pad="batch")
    rng = np.random.default_rng(0)
    widths = rng.integers(20, 300, 64)

    class Lines:  # finite source of blank crops of known widths; labels need T >= 3 or 5
        def __len__(self) -> int:
            return len(widths)

        def load(self, i: int):
            return np.full((32, int(widths[i]), 3), 200, np.uint8), "aab" if i % 2 else "aabbc"

    def stream(group: int) -> BatchStream:
        return BatchStream(
            [Lines()], [1.0], batcher.prepare, batcher.collate, 8, seed=1,
            sort_group=group, sort_key=batcher.sort_key,
        )  # fmt: skip

    plain, grouped = stream(1), stream(4)
    tight = [grouped.make_batch(b)["image"].shape[-1] for b in range(8)]
    loose = [plain.make_batch(b)["image"].shape[-1] for b in range(8)]
    assert all(w % 32 == 0 and 64 <= w <= 256 for w in tight)
    assert tight[:4] == sorted(tight[:4]) and tight[4:] == sorted(tight[4:]), tight
    assert sum(tight) < 0.85 * sum(loose), (tight, loose)
    # same group, same samples: a batch is reproducible on its own (exact resume)
    again = stream(4).make_batch(5)
    assert torch.equal(again["image"], grouped.make_batch(5)["image"])
    assert again["texts"] == grouped.make_batch(5)["texts"]
    # batches of a group partition the group's samples
    seen = sum((grouped.make_batch(b)["size"] for b in range(4)), 0)
    assert seen == 32
    out = tmp_path / "pad"
    cfg = rec_cfg(
        rec_label_dir,
        out,
        "Global.max_steps=3",
        "Train.transforms={height: 32, width: 128, pad: batch}",
        "Train.loader.sort_group=2",
    )
    assert Trainer(cfg).fit()["samples_seen"] == 24
    with pytest.raises(Exception, match="pad must be"):
        Trainer(rec_cfg(rec_label_dir, out, "Train.transforms={height: 32, pad: tight}"))


def test_synth_reuse_renders_fewer_samples_and_stays_reproducible():
    import numpy as np

    from openocr.errors import ConfigError
    from openocr.train.sources import SynthSource
    from openocr.train.stream import BatchStream

    class Pages(SynthSource):  # counts renders; each "page" is a distinct random value
        renders = 0

        def sample(self, rng: np.random.Generator):
            Pages.renders += 1
            return rng.random(), None

    def prepare(page: float, _label, rng: np.random.Generator):
        return (page, rng.random())  # the same page, a different augmentation draw

    def batch(reuse: int, b: int = 3) -> list:
        src = Pages("det", reuse=reuse)
        return BatchStream([src], [1.0], prepare, list, 8, seed=1).make_batch(b)

    once = batch(1)
    assert Pages.renders == 8 and len({p for p, _ in once}) == 8
    Pages.renders = 0
    twice = batch(2)
    assert Pages.renders == 4 and len({p for p, _ in twice}) == 4
    assert len({a for _, a in twice}) == 8  # every slot augments anew
    assert batch(2) == twice  # the batch depends on (seed, index) only: exact resume
    with pytest.raises(ConfigError, match="reuse"):
        SynthSource("det", reuse=0)


def test_text_scale_crop_targets_the_text_height():
    """A window around text, sized so the median text height lands in ``text_px`` once scaled
    to ``size``; boxes the window cuts to less than half are ignored."""
    import numpy as np

    from openocr.train.det_data import text_scale_crop, visible_ignores

    # a 2000x3000 page of 10 px lines
    polys = [
        np.array([[100, y], [900, y], [900, y + 10], [100, y + 10]], np.float32)
        for y in range(100, 2900, 30)
    ]
    ignores = [False] * len(polys)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x0, y0, x1, y1 = text_scale_crop(3000, 2000, polys, ignores, rng, 512, (20.0, 40.0))
        scale = min(512 / (x1 - x0), 512 / (y1 - y0))
        assert 20.0 - 1e-6 <= 10 * scale <= 40.0 * 1.01
        assert 0 <= x0 < x1 <= 2000 and 0 <= y0 < y1 <= 3000
        inside = [p for p in polys if y0 <= p[:, 1].mean() <= y1 and p[:, 0].max() > x0]
        assert inside  # holds text
    # huge text: the window would exceed the page, so the whole page is used
    big = [np.array([[0, 0], [500, 0], [500, 300], [0, 300]], np.float32)]
    assert text_scale_crop(600, 800, big, [False], rng, 512, (8.0, 16.0)) == (0, 0, 800, 600)
    # rows 100-110 and 130-140 in a window ending at row 105: half of the first, none of the second
    assert visible_ignores(polys[:2], [False, False], 0, 0, 2000, 105) == [False, True]
    assert visible_ignores(polys[:1], [False], 0, 0, 400, 200) == [True]  # 300 of 800 wide


def test_group_sigterm_saves_and_stops(rec_label_dir: Path, tmp_path: Path):
    """SIGTERM to the whole process group (Ctrl-C, ``pkill -f``) reaches the loader worker too:
    training still saves ``latest`` and exits cleanly."""
    import signal
    import subprocess
    import time

    out = tmp_path / "sig"
    cmd = cli_train_cmd(
        [], rec_label_dir, out, "Global.max_steps=100000", "Train.loader.num_workers=1"
    )
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline = time.time() + 120
        metrics = out / "metrics.jsonl"
        while not (metrics.is_file() and metrics.read_text()) and time.time() < deadline:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr[-2000:]
    assert "saving and stopping" in stderr
    assert (out / "latest.safetensors").is_file()
    assert json.loads(stdout.strip().splitlines()[-1])["step"] >= 1


def test_loader_worker_killed_by_the_stop_signal_ends_the_loop():
    """A worker still starting up dies of the group SIGTERM (it ignores it only once set up):
    after a stop signal that ends training like the signal itself; otherwise it is an error."""
    from types import SimpleNamespace

    def dead_worker():
        raise RuntimeError("DataLoader worker (pid 1) is killed by signal: Terminated.")
        yield

    assert Trainer._next_batch(SimpleNamespace(_stop=True), dead_worker()) is None
    with pytest.raises(RuntimeError, match="killed by signal"):
        Trainer._next_batch(SimpleNamespace(_stop=False), dead_worker())


def test_auto_precision_avoids_emulated_bf16(monkeypatch: pytest.MonkeyPatch):
    """bf16 autocast only where the CPU computes bf16 natively (emulated bf16 trained 15x slower
    than fp32 on an AVX2-only CPU); fp16 AMP on CUDA."""
    import torch

    from openocr.train import loop

    monkeypatch.setattr(loop, "cpu_has_native_bf16", lambda: False)
    assert loop.auto_precision(torch.device("cpu")) == "fp32"
    monkeypatch.setattr(loop, "cpu_has_native_bf16", lambda: True)
    assert loop.auto_precision(torch.device("cpu")) == "bf16"
    assert loop.auto_precision(torch.device("cuda")) == "fp16"


def test_synthetic_val_follows_the_source_seed_not_the_run_seed():
    from openocr.charset import Charset
    from openocr.train.sources import SynthSource
    from openocr.train.tasks import eval_samples

    def texts(source, run_seed):
        return [t for _, t in eval_samples(source, 4, run_seed)]

    seeded = SynthSource("rec", charset=Charset.load("en"), height=32, seed=999)
    assert texts(seeded, 220) == texts(seeded, 240)  # one val set across runs
    unseeded = SynthSource("rec", charset=Charset.load("en"), height=32)
    assert texts(unseeded, 220) == texts(unseeded, 220)
    assert texts(unseeded, 220) != texts(unseeded, 240)


def test_fit_steps_to_minutes_ends_the_schedule_in_time(
    rec_label_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
):
    out = tmp_path / "run"
    extra = (
        "Global.max_steps=100000",
        "Global.max_minutes=0.5",
        "Global.fit_steps_to_minutes=true",
    )
    result = Trainer(rec_cfg(rec_label_dir, out, *extra)).fit()
    plans = [x for x in capfd.readouterr().err.splitlines() if "max_steps set to" in x]
    assert len(plans) == 2, plans  # planned, then planned again a quarter of the way in
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    planned = load_checkpoint(out / "latest.safetensors")[1]["config"]["Global"]["max_steps"]
    assert planned < 100000 and result["step"] > 6  # planned after 5 + (up to 100) steps
    # the cosine was shortened to end near the time limit (a loaded machine may stop it a
    # little early, so not exactly at 0)
    assert rows[-1]["lr"] < 0.5 * 0.003, rows[-1]


def test_step_timer_times_past_start_up_leaves_out_evaluations_and_replans_once():
    timer = StepTimer(step=10, max_minutes=60, by_time=True)
    timer.exclude(30.0)  # an evaluation before the timed stretch is not subtracted from it
    assert [timer.seconds_per_step(s, now=float(s)) for s in range(11, 15)] == [None] * 4
    assert timer.seconds_per_step(15, now=100.0) is None  # the timed stretch starts here
    timer.exclude(20.0)
    assert timer.seconds_per_step(114, now=320.0) is None
    assert timer.seconds_per_step(115, now=320.0) == pytest.approx(2.0)  # (220 - 20) / 100
    timer.planned(115, max_steps=1715)
    assert timer.seconds_per_step(116, now=322.0) is None  # the second stretch starts here
    timer.exclude(98.0)
    assert timer.seconds_per_step(514, now=1000.0) is None
    assert timer.seconds_per_step(515, now=1018.5) == pytest.approx(1.5)  # (696.5 - 98) / 399
    timer.planned(515, max_steps=2000)
    assert timer.seconds_per_step(1000, now=5000.0) is None  # planned twice, then never again


def test_step_timer_plans_early_when_steps_are_slow():
    timer = StepTimer(step=0, max_minutes=10, by_time=True)  # a tenth is 60 s
    timer.seconds_per_step(5, now=0.0)
    assert timer.seconds_per_step(6, now=59.0) is None
    assert timer.seconds_per_step(7, now=61.0) == pytest.approx(30.5)
    ddp = StepTimer(step=0, max_minutes=10, by_time=False)  # DDP ranks plan at step 105 only
    ddp.seconds_per_step(5, now=0.0)
    assert ddp.seconds_per_step(7, now=61.0) is None
