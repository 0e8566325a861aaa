"""Memory: exact saved-tensor accounting (by hand and against a real CPU pass), CUDA paths on a GPU."""
import gc
import time

import pytest
import torch
from torch import nn

from core.cli import main
from core.memory import (
    MemorySampler,
    SavedTensors,
    estimate,
    max_batch_size,
    measure_cpu,
    measure_cuda,
    process_rss,
    step_bytes,
)


def test_saved_bytes_counted_by_hand():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(inplace=True), nn.Flatten(),
                          nn.Linear(2 * 4 * 4, 3))
    x = torch.randn(2, 1, 4, 4)
    # conv saves its input x (2·1·4·4 floats); the in-place ReLU saves its output, which is the conv
    # output's storage (2·2·4·4), and Flatten's view of it is what Linear saves: one storage; plus
    # the logits (2·3).
    saved = SavedTensors(model, for_backward=False)
    with saved.hooks():
        saved.add(model(x))
    assert saved.total == 4 * (32 + 64 + 6)


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
@pytest.mark.parametrize("name, shape", [("d2l_densenet", (1, 48, 48)), ("resnet20_cifar", None),
                                         ("d2l_lenet_bn", None), ("d2l_googlenet", (1, 64, 64))])
def test_estimate_agrees_with_a_real_cpu_step_for_each_precision_and_optimizer(name, shape, dtype,
                                                                                optimizer):
    """The page promises 10 %; bf16 autocast saves conv inputs in bf16 and keeps fp32 master
    weights, gradients and AdamW's two state slots."""
    estimated = estimate(name, batch=4, input_shape=shape, dtype=dtype, optimizer=optimizer)
    measured = measure_cpu(name, batch=4, input_shape=shape, dtype=dtype, optimizer=optimizer)
    assert abs(estimated.peak - measured.peak) <= 0.10 * measured.peak
    # AdamW also keeps a 4-byte step counter per parameter tensor, on the CPU even when training on
    # CUDA (capturable=False): the estimate of device memory leaves it out.
    tensors = measured.extra["parameter_tensors"]
    counters = 4 * tensors if optimizer == "adamw" else 0
    assert measured.optimizer_state - estimated.optimizer_state == counters
    assert estimated.gradients == measured.gradients


def test_bf16_halves_densenet121_activations_and_adamw_adds_a_slot():
    fp32 = estimate("densenet121", batch=64)
    bf16 = estimate("densenet121", batch=64, dtype="bf16")
    assert 0.45 < bf16.activations / fp32.activations < 0.6  # H100: 4,224 vs 8,110 MiB peak
    adamw = estimate("densenet121", batch=64, dtype="bf16", optimizer="adamw")
    assert adamw.peak - bf16.peak == fp32.parameters


def test_500_distinct_estimates_leave_memory_flat():
    for batch in range(2, 22):  # warm-up: caches of torch and of the tracer fill once
        estimate("d2l_lenet_bn", batch=batch)
    gc.collect()
    before = process_rss()
    for batch in range(22, 522):
        estimate("d2l_lenet_bn", batch=batch)
    gc.collect()
    # Saved tensors tied to their own grad_fn in uncollectable cycles kept 27 MB here (densenet121:
    # 1.35 MB per call); without them growth is allocator noise (~4 MB).
    assert process_rss() - before < 12 * 2**20


@pytest.mark.parametrize("name, overrides", [("d2l_densenet", {}), ("d2l_densenet",
                         {"memory_efficient": True}), ("resnet20_cifar", {}), ("d2l_lenet_bn", {})])
def test_meta_estimate_equals_real_cpu_pass(name, overrides):
    assert estimate(name, batch=2, **overrides).activations == \
        measure_cpu(name, batch=2, **overrides).activations


def test_estimate_breakdown_and_efficient_densenet_saves_memory():
    plain = estimate("densenet121", batch=64)
    efficient = estimate("densenet121", batch=64, memory_efficient=True)
    assert plain.kind == "estimate" and plain.parameters == 7_978_856 * 4
    assert plain.optimizer_state == plain.parameters  # SGD momentum: one slot
    assert estimate("densenet121", batch=64, optimizer="adamw").optimizer_state == 2 * plain.parameters
    assert plain.peak / efficient.peak > 2.0


def test_memory_cli_without_gpu(capsys):
    if torch.cuda.is_available():
        pytest.skip("prints a measurement where CUDA is present")
    assert main(["memory", "d2l_densenet", "--batch", "8", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"kind": "estimate"' in out
    assert main(["memory", "d2l_densenet", "--batch", "0"]) == 2


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_measurement_close_to_estimate():
    measured = measure_cuda("densenet121", batch=16)
    estimated = estimate("densenet121", batch=16)
    assert measured.kind == "measured" and measured.examples_per_second > 0
    assert abs(measured.peak - estimated.peak) / measured.peak < 0.15


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_max_batch_recovers_from_oom():
    result = max_batch_size("resnet18", input_shape=(3, 512, 512), limit=4096)
    assert result["max_batch"] > 0 and result["baseline_restored"]
    assert any(not ok for _, ok in result["tried"])  # at least one OOM was hit and recovered
    measure_cuda("d2l_lenet_bn", batch=8)  # and the GPU still works afterwards


def test_sampler_records_memory_about_once_per_interval_while_work_runs():
    started = time.perf_counter()
    with MemorySampler(interval=0.05, keep=1000) as sampler:
        block = torch.ones(256, 2**20, dtype=torch.uint8)  # 256 MiB held for a while
        block.add_(1)
        time.sleep(0.5)
        peak = max(s["rss"] for s in sampler.samples)
        del block
    elapsed = time.perf_counter() - started  # the allocation takes longer on a busy host
    samples = sampler.samples
    # One sample each interval, never more often (a busy host may sample late), plus one at the exit.
    assert 0.5 * elapsed / 0.05 <= len(samples) <= elapsed / 0.05 + 2
    times = [s["t"] for s in samples]
    assert times == sorted(times) and times[-1] >= 0.5
    assert min(b - a for a, b in zip(times[:-2], times[1:-1])) >= 0.045  # the waits between samples
    # The block is seen while it lives (with a margin: other threads of the test process free memory too).
    assert peak - samples[0]["rss"] >= 200 * 2**20
    assert ("allocated" in samples[0]) == torch.cuda.is_available()


def test_sampler_keeps_only_the_newest_samples():
    with MemorySampler(interval=0.01, keep=5) as sampler:
        time.sleep(0.2)
    assert len(sampler.samples) == 5 and sampler.samples[-1]["t"] >= 0.2


def test_a_pass_without_training_is_estimated_in_eval_mode():
    """d2l_resnet18 at 32×32 ends in a 1×1 map with BatchNorm: training one example cannot normalise
    it (a refusal naming the batch), while a pass through the trained network (an attribution, the
    feature maps) can, saving no more than the training step."""
    import core
    config = core.get_config("d2l_resnet18")
    with pytest.raises(core.ConfigError, match=r"batch = 1 at input 1×32×32: .*larger batch or input"):
        estimate(config, 1, (1, 32, 32))
    assert step_bytes(config, 1, (1, 32, 32), optimizer=None) > 0
    train = estimate(config, 2, (1, 32, 32), optimizer="sgd")
    infer = estimate(config, 2, (1, 32, 32), optimizer="sgd", training=False)
    assert 0 < infer.activations <= train.activations
