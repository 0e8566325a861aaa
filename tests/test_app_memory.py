"""AppTest of the Memory page on a machine without CUDA: it says so, shows core's estimate and the
CPU-measured figure (each labelled), the plain vs memory-efficient comparison, and no error."""
import re
import time

import pytest
from app_support import errors, figure, metric_values, start, widget

import core
from app import services
from app.components import memory_charts
from app.workers import memory as worker
from core import memory

MEMORY = "views/memory.py"
pytestmark = pytest.mark.skipif(memory.torch.cuda.is_available(), reason="the page measures on the GPU")


@pytest.fixture(scope="module")
def page():
    return start({"model": "d2l_densenet", "batch": "32"}, page=MEMORY)


def test_without_cuda_the_page_says_so_and_shows_estimate_and_cpu_figure(page):
    assert not errors(page) and not page.exception
    assert "no CUDA GPU" in page.info[0].value
    estimate = memory.estimate("d2l_densenet", batch=32).to_dict()
    small = memory.estimate("d2l_densenet", batch=2).to_dict()
    cpu = memory.measure_cpu("d2l_densenet", batch=2).to_dict()
    assert metric_values(page) == {
        "Peak (estimate, any device, fp32, batch 32)": f"{estimate['peak_mib']:,.0f} MiB",
        "Peak (estimate, any device, fp32, batch 2)": f"{small['peak_mib']:,.0f} MiB",
        "Peak (measured, cpu, fp32, batch 2)": f"{cpu['peak_mib']:,.0f} MiB"}
    bars = figure(page, 0)["data"]
    assert bars[0]["x"] == ["estimate, any device, fp32, batch 32"]
    assert [b["y"][0] for b in bars[:5]] == [estimate[f"{p}_mib"] for p in
                                             ("parameters", "gradients", "optimizer_state", "activations",
                                              "workspace")]


def test_plain_vs_memory_efficient_densenet(page):
    efficient = figure(page, 2)
    assert "memory-efficient" in efficient["layout"]["title"]["text"]
    plain, saving = (memory.estimate("d2l_densenet", batch=32, memory_efficient=flag).to_dict()["peak_mib"]
                     for flag in (False, True))
    assert efficient["data"][-1]["y"] == [plain, saving]


def test_h100_reference_is_cited(page):
    assert "NVIDIA H100" in page.expander[0].label
    assert "densenet121" in page.expander[0].markdown[0].value


def test_bad_settings_show_cores_message_and_link_round_trip():
    at = start({"model": "d2l_lenet_bn", "h": "28", "w": "28", "batch": "8", "dtype": "bf16"}, page=MEMORY)
    assert not errors(at) and "bf16" in list(metric_values(at))[0]
    link = dict(at.query_params)
    assert link == {"lang": "en", "model": "d2l_lenet_bn", "h": "28", "w": "28", "batch": "8",
                    "dtype": "bf16", "opt": "sgd"}
    widget(at, "mem.changes").set_value("channels=0").run()
    with pytest.raises(core.ConfigError) as rejected:
        core.get_config("d2l_lenet_bn", channels="0")
    assert errors(at) == [rejected.value.message]
    widget(at, "mem.changes").set_value("").run()
    widget(at, "mem.height").set_value(4).run()
    with pytest.raises(core.ConfigError) as rejected:
        memory.estimate("d2l_lenet_bn", batch=8, input_shape=(1, 4, 28), dtype="bf16")
    assert not at.exception and errors(at) == [rejected.value.message]


def test_gpu_calls_answer_with_a_message_never_a_traceback():
    lenet = ("d2l_lenet_bn", "{}")
    assert worker.measure_cuda(*lenet, 2, (1, 28, 28), "fp32", "sgd")["error"]["message"].startswith(
        "no CUDA GPU is present")
    assert worker.max_batch(*lenet, (1, 28, 28), "fp32", "sgd")["error"]["message"].startswith(
        "no CUDA GPU is present")

    def batch_norm_at_batch_1():  # what torch raises on a GPU for BatchNorm1d in max_batch_size
        raise ValueError("Expected more than 1 value per channel when training. Second. Third.")
    assert worker.guarded(batch_norm_at_batch_1)["error"]["message"] == \
        "Expected more than 1 value per channel when training. Second"


def test_timeline_chart_and_its_answer_without_cuda():
    assert worker.timeline("d2l_lenet_bn", "{}", 2, (1, 28, 28), "fp32", "sgd")["error"]["message"] \
        .startswith("no CUDA GPU is present")
    points = [{"event": i, "allocated": a * 2**20} for i, a in enumerate((0, 40, 90, 30))]
    fig = memory_charts.timeline_figure(points, "t").to_dict()
    assert list(fig["data"][0]["y"]) == [0, 40, 90, 30]
    assert fig["layout"]["yaxis"]["title"]["text"] == "memory (MiB)"


def wait_for(job, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.done


@pytest.mark.parametrize("action", sorted(worker.ACTIONS))
def test_a_memory_job_runs_its_action_in_a_worker_and_samples_memory(action):
    settings = dict(model="d2l_lenet_bn", changes_json="{}", input_shape=(1, 28, 28), dtype="fp32",
                    optimizer="sgd")
    if action != "max_batch":
        settings["batch"] = 2
    job = services.MemoryJob(action, settings)
    wait_for(job)
    if services.device_info()["cuda"]:
        assert "error" not in job.result, job.result
    else:  # the job ran in a worker and came back with the worker's refusal, in words a user reads
        assert re.search(r"CUDA|GPU", job.result["error"]["message"]), job.result
    assert job.memory.samples and job.memory.samples[-1]["rss"] > 0


def test_a_cpu_pass_past_the_job_budget_says_so_beside_the_estimate():
    """/memory?model=densenet121&h=2048&w=2048 ran a real CPU pass: 0.76 -> 7.1 GB."""
    at = start({"model": "densenet121", "h": "2048", "w": "2048"}, page=MEMORY)
    assert not at.exception
    assert any("MiB a job may use" in e for e in errors(at))
    assert "Peak (estimate, any device, fp32, batch 64)" in metric_values(at)
