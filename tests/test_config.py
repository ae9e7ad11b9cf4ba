from pathlib import Path

import pytest

from openocr.config import TrainConfig, apply_overrides, load_config, load_yaml
from openocr.errors import ConfigError


def test_shared_prefix_overrides_both_survive():
    cfg = load_config(
        TrainConfig,
        None,
        [
            "Train.loader.batch_size=7",
            "Train.loader.num_workers=3",
            "Model.kwargs.a=1",
            "Model.kwargs.b=[1, 2]",
        ],
    )
    assert cfg.Train.loader.batch_size == 7
    assert cfg.Train.loader.num_workers == 3
    assert cfg.Model.kwargs == {"a": 1, "b": [1, 2]}


def test_override_values_parsed_as_yaml():
    cfg = load_config(
        TrainConfig,
        None,
        ["Global.channels_last=false", "Optimizer.lr=1e-4", "Global.pretrained=null"],
    )
    assert cfg.Global.channels_last is False
    assert cfg.Optimizer.lr == pytest.approx(1e-4)
    assert cfg.Global.pretrained is None


def test_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, ["Train.loader.bs=3"])
    msg = str(e.value)
    assert "Train.loader.bs" in msg and "batch_size" in msg and "num_workers" in msg
    with pytest.raises(ConfigError, match="valid keys: Eval, Global"):
        load_config(TrainConfig, None, ["Trian.x=1"])


def test_type_mismatch_rejected():
    with pytest.raises(ConfigError, match="expected int"):
        load_config(TrainConfig, None, ["Global.max_steps=abc"])


def test_base_inheritance_one_level(tmp_path: Path):
    (tmp_path / "parent.yml").write_text(
        "Global: {max_steps: 5, seed: 1}\nTrain: {loader: {batch_size: 4}}\n"
    )
    (tmp_path / "child.yml").write_text("base: parent.yml\nGlobal: {seed: 2}\n")
    cfg = load_config(TrainConfig, tmp_path / "child.yml", ["Global.log_every=3"])
    assert (cfg.Global.max_steps, cfg.Global.seed, cfg.Global.log_every) == (5, 2, 3)
    assert cfg.Train.loader.batch_size == 4
    (tmp_path / "grand.yml").write_text("base: child.yml\n")
    with pytest.raises(ConfigError, match="one level"):
        load_yaml(tmp_path / "grand.yml")


def test_apply_overrides_does_not_mutate_input():
    data = {"A": {"b": 1}}
    out = apply_overrides(data, ["A.c=2"])
    assert data == {"A": {"b": 1}} and out == {"A": {"b": 1, "c": 2}}


def test_override_indexes_list_items():
    data = {"Train": {"sources": [{"type": "synth", "seed": 1}, {"type": "lmdb"}]}}
    out = apply_overrides(data, ["Train.sources.0.seed=3", "Train.sources.1.weight=0.5"])
    assert out["Train"]["sources"] == [
        {"type": "synth", "seed": 3},
        {"type": "lmdb", "weight": 0.5},
    ]
    with pytest.raises(ConfigError, match="list of 2; use an index 0..1"):
        apply_overrides(data, ["Train.sources.2.seed=3"])
    with pytest.raises(ConfigError, match="list of 2"):
        apply_overrides(data, ["Train.sources.seed=3"])


def test_shipped_presets_load():
    root = Path(__file__).resolve().parents[1] / "configs"
    presets = sorted(root.glob("*/*.yml"))
    assert presets, "no presets shipped"
    for p in presets:
        load_config(TrainConfig, p)
