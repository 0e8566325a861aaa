"""Resumable training and the run's precision: a run stopped and resumed ends with the same weights as
one that never stopped; "auto" picks bf16 only where the hardware multiplies bf16 natively."""
import pytest
import torch

from core import precision, resume
from core.checkpoints import load_checkpoint
from core.errors import ConfigError
from core.train import TrainSettings, train

RECIPE = dict(dataset="digits", train_size=200, epochs=3, seed=1)
SMALL = dict(growth_rate=6, block_config=(2, 2), num_init_features=8, in_channels=1)


def _stop_after(epochs: int):
    done = []
    return (lambda e: done.append(e) if e["kind"] == "epoch" else None), (lambda: len(done) >= epochs)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_a_resumed_run_ends_with_the_weights_of_an_unbroken_one(tmp_path, optimizer):
    settings = dict(RECIPE, optimizer=optimizer)
    whole, broken = tmp_path / "whole.safetensors", tmp_path / "broken.safetensors"
    train("densenet40_k12", TrainSettings(**settings), out=str(whole), **SMALL)
    progress, stop = _stop_after(1)
    first = train("densenet40_k12", TrainSettings(**settings), out=str(broken), on_progress=progress,
                  should_stop=stop, **SMALL)
    assert first.stopped and load_checkpoint(broken).metadata["epochs"] == "1"
    events = []
    resumed = train("densenet40_k12", TrainSettings(**settings), resume_from=str(broken),
                    on_progress=events.append, **SMALL)
    assert events[0]["kind"] == "start" and events[0]["first_epoch"] == 2
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    a, b = load_checkpoint(whole).state_dict, load_checkpoint(broken).state_dict
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed weights differ from the unbroken run's"
    assert load_checkpoint(broken).metadata["epochs"] == "3"


def test_resume_takes_the_saved_recipe_and_refuses_another_model(tmp_path):
    out = tmp_path / "m.safetensors"
    train("densenet40_k12", TrainSettings(**dict(RECIPE, epochs=1, lr=0.05)), out=str(out), **SMALL)
    assert resume.load(out).recipe["lr"] == 0.05
    with pytest.raises(ConfigError, match="more than 1"):
        train("densenet40_k12", TrainSettings(**dict(RECIPE, epochs=1)), resume_from=str(out), **SMALL)
    with pytest.raises(ConfigError, match="same model"):
        train("densenet40_k12", TrainSettings(**RECIPE), resume_from=str(out),
              **dict(SMALL, growth_rate=4))
    resume.state_path(out).unlink()
    with pytest.raises(ConfigError, match="state.safetensors is missing"):
        train("densenet40_k12", TrainSettings(**RECIPE), resume_from=str(out), **SMALL)


def test_the_checkpoint_says_which_precision_trained_it(tmp_path):
    out = tmp_path / "m.safetensors"
    result = train("densenet40_k12", TrainSettings(**dict(RECIPE, epochs=1, precision="fp32")),
                   out=str(out), **SMALL)
    metadata = load_checkpoint(out).metadata
    assert result.precision == metadata["precision"] == "fp32"
    assert metadata["precision_reason"] == "fp32 as requested"


@pytest.mark.parametrize("flags, feature", [
    ("fpu sse avx512f amx_bf16 amx_tile avx512_bf16", "amx_bf16"),
    ("fpu sse avx512f avx512_bf16", "avx512_bf16"),
    ("fpu sse avx2 avx512f", None),
])
def test_auto_precision_follows_the_cpu_flags(flags, feature):
    cpuinfo = f"processor\t: 0\nmodel name\t: X bf16 inside\nflags\t\t: {flags}\n\nprocessor\t: 1\n"
    assert precision.bf16_feature(cpuinfo) == feature
    if feature:
        assert precision.choose("auto", torch.device("cpu"), feature) == (
            "bf16", f"auto: bf16 autocast, the CPU has {feature}")
    assert precision.choose("auto", torch.device("cuda")) == ("bf16", "auto: bf16 autocast on a CUDA GPU")
    assert precision.choose("fp32", torch.device("cuda"))[0] == "fp32"


def test_auto_keeps_a_tiny_model_in_fp32_on_a_cpu():
    """d2l_lenet_bn (0.56 MFLOPs an image) trained 0.7x as fast under bf16 autocast on this CPU."""
    chosen, why = precision.choose("auto", torch.device("cpu"), "avx512_bf16", flops_per_example=563_280)
    assert chosen == "fp32" and "0.56 MFLOPs an image" in why
    assert precision.choose("auto", torch.device("cpu"), "avx512_bf16", 17_169_792)[0] == "bf16"
    assert precision.choose("bf16", torch.device("cpu"), "avx512_bf16", 563_280)[0] == "bf16"


def test_auto_is_fp32_on_a_cpu_without_bf16(monkeypatch):
    monkeypatch.setattr(precision, "cpu_bf16_feature", lambda: None)
    chosen, why = precision.choose("auto", torch.device("cpu"))
    assert chosen == "fp32" and "no native bf16" in why


def test_bf16_autocast_really_computes_in_bf16():
    layer = torch.nn.Conv2d(1, 4, 3)
    x = torch.rand(2, 1, 8, 8)
    with precision.autocast("bf16", torch.device("cpu")):
        assert layer(x).dtype == torch.bfloat16
    with precision.autocast("fp32", torch.device("cpu")):
        assert layer(x).dtype == torch.float32


def test_an_unknown_precision_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="auto, fp32 or bf16"):
        TrainSettings(precision="fp16").check()
