"""The app serves every browser session from its own thread of one process: an analysis (an fx trace,
which patches torch.nn.Module for its duration) must not disturb modules that other threads run at the
same moment, nor another analysis, and must leave torch.nn.Module as it found it."""
import threading

import torch

import core
from core.analysis import analyze

ORIGINAL_CALL, ORIGINAL_GETATTR = torch.nn.Module.__call__, torch.nn.Module.__getattr__


def run_together(*jobs, repeat: int = 4) -> list[BaseException]:
    """Run each job `repeat` times in its own thread, all threads at once; the exceptions raised."""
    errors, start = [], threading.Barrier(len(jobs))

    def loop(job):
        start.wait()
        try:
            for _ in range(repeat):
                job()
        except BaseException as exc:  # noqa: BLE001 - collected and reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_analyses_agree_with_a_lone_one():
    expected = {name: analyze(name).trace.total_params for name in ("densenet121", "resnet50")}
    seen = {}

    def job(name):
        return lambda: seen.setdefault(name, set()).add(analyze(name).trace.total_params)

    assert run_together(job("densenet121"), job("resnet50"), job("densenet121")) == []
    assert {name: values for name, values in seen.items()} == {n: {v} for n, v in expected.items()}
    assert torch.nn.Module.__call__ is ORIGINAL_CALL and torch.nn.Module.__getattr__ is ORIGINAL_GETATTR


def test_a_model_runs_normally_while_another_thread_analyses():
    model = core.build_model("d2l_lenet_bn").eval()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        expected = model(x)
    outputs = []

    def forward():
        with torch.no_grad():
            for _ in range(50):
                outputs.append(model(x))

    assert run_together(lambda: analyze("densenet121"), forward) == []
    assert all(isinstance(out, torch.Tensor) and torch.equal(out, expected) for out in outputs)


def test_a_rejected_input_is_analysed_safely_beside_other_threads():
    """A collapsing input makes the analysis search for the smallest valid side (a second trace)."""
    def rejected():
        try:
            analyze("densenet121", input_shape=(3, 16, 16))
        except core.ConfigError as exc:
            assert "use ≥" in exc.message
        else:
            raise AssertionError("3×16×16 should be rejected")

    assert run_together(rejected, lambda: analyze("resnet50"), rejected) == []
    assert torch.nn.Module.__call__ is ORIGINAL_CALL and torch.nn.Module.__getattr__ is ORIGINAL_GETATTR
