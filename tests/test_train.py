"""The trainer: improves, is deterministic for a seed, writes a checkpoint that reloads exactly."""
import pytest
import torch

import core
from core.checkpoints import load_checkpoint
from core.train import TrainSettings, train

DIGITS = dict(dataset="digits")  # the embedded set: seconds an epoch (the default is Fashion-MNIST)

SMALL = dict(growth_rate=6, block_config=(2, 2), num_init_features=8, in_channels=1)


def test_short_run_improves_and_reloads(tmp_path):
    out = tmp_path / "m.safetensors"
    events = []
    result = train("densenet40_k12", TrainSettings(**DIGITS, epochs=3, seed=1), out=str(out),
                   on_progress=events.append, **SMALL)
    accuracies = [h["test_accuracy"] for h in result.history]
    losses = [h["train_loss"] for h in result.history]
    assert accuracies[-1] > 0.5 and accuracies[-1] > accuracies[0]
    assert losses[-1] < losses[0]
    assert [e["epoch"] for e in events if e["kind"] == "epoch"] == [1, 2, 3]
    checkpoint = load_checkpoint(out)
    assert checkpoint.metadata["epochs"] == "3" and checkpoint.metadata["input_shape"] == "[1, 8, 8]"
    assert float(checkpoint.metadata["test_accuracy"]) == round(accuracies[-1], 4)
    model = core.build_model(result.config)
    x = torch.rand(4, 1, 8, 8)
    model.load_state_dict(checkpoint.state_dict)
    torch.testing.assert_close(checkpoint.model()(x), model.eval()(x), rtol=0, atol=0)


def test_same_seed_same_history():
    runs = [train("densenet40_k12", TrainSettings(**DIGITS, epochs=1, seed=3), **SMALL).history
            for _ in range(2)]
    assert [h["train_loss"] for h in runs[0]] == [h["train_loss"] for h in runs[1]]


def test_stop_keeps_the_last_completed_epoch(tmp_path):
    out = tmp_path / "m.safetensors"
    epochs_done = []

    def progress(event):
        if event["kind"] == "epoch":
            epochs_done.append(event["epoch"])

    result = train("densenet40_k12", TrainSettings(**DIGITS, epochs=5), out=str(out), on_progress=progress,
                   should_stop=lambda: len(epochs_done) >= 2, **SMALL)
    assert result.stopped and len(result.history) == 2
    assert load_checkpoint(out).metadata["epochs"] == "2"


def test_any_preset_adapts_to_the_dataset():
    result = train("d2l_lenet_bn", TrainSettings(**DIGITS, epochs=1, input_size=28))
    assert result.config.num_classes == 10 and result.config.input_size == 28


def _final_lr(folder, **settings) -> tuple[float, dict]:
    from core import resume
    folder.mkdir()
    out = folder / "m.safetensors"
    train("densenet40_k12", TrainSettings(**DIGITS, epochs=2, train_size=200, **settings), out=str(out),
          **SMALL)
    state = resume.load(out)
    return state.optimizer["param_groups"][0]["lr"], state.optimizer


def test_cosine_decays_to_zero_and_constant_keeps_the_rate(tmp_path):
    cosine, sgd = _final_lr(tmp_path / "a", optimizer="sgd", lr=0.2)
    constant, adamw = _final_lr(tmp_path / "b", optimizer="adamw", lr=0.004, schedule="constant")
    assert cosine == pytest.approx(0.0, abs=1e-12) and constant == pytest.approx(0.004)
    assert {"momentum_buffer"} <= set(next(iter(sgd["state"].values())))
    assert {"exp_avg", "exp_avg_sq"} <= set(next(iter(adamw["state"].values())))


@pytest.mark.parametrize("field, value, rule", [
    ("epochs", 0, "an integer in [1, 1000]"), ("train_size", 5, "an integer ≥ 10"),
    ("batch_size", 0, "an integer in [1, 4096]"), ("optimizer", "adam", "sgd or adamw"),
    ("momentum", 1.0, "a number in [0, 1)"), ("schedule", "step", "cosine or constant"),
    ("lr", 0.0, "a number in (0, 10]"), ("precision", "fp16", "auto, fp32 or bf16"),
])
def test_bad_settings_are_refused_before_anything_runs(field, value, rule):
    with pytest.raises(core.ConfigError) as refused:
        TrainSettings(**DIGITS, **{field: value}).check()
    assert refused.value.field == f"train.{field}"
    assert str(refused.value).startswith(f"train.{field} = {value}: use {rule}")
