"""AppTest of the Memory page on a CUDA machine: each GPU action runs as a background job with the live
memory view, and its result then shows where it belongs (skipped without CUDA)."""
import time

import pytest
from app_support import errors, figure, metric_values, slide_captions, start

from core import memory

MEMORY = "views/memory.py"
LENET = {"model": "d2l_lenet_bn", "h": "28", "w": "28", "batch": "8"}
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not memory.torch.cuda.is_available(), reason="needs CUDA")]


def run_job(at, button: str):
    """Click `button`, wait for the session's job, then poll once as the page does."""
    next(b for b in at.button if b.key == button).click()
    at.run()
    job = at.session_state["mem.jobs"][at.session_state["mem.newest"]]
    deadline = time.monotonic() + 300
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.done and max(s["allocated"] for s in job.memory.samples) > 0  # a step on the GPU
    at.run()
    assert not at.exception and not errors(at)
    return at


def test_measurement_runs_in_the_background_and_shows_beside_the_estimate():
    at = start(LENET, page=MEMORY)
    assert at.success[0].value.startswith("GPU: ")
    at = run_job(at, "mem.measure")
    device = memory.torch.cuda.get_device_name()
    assert f"Peak (measured, {device}, fp32, batch 8)" in metric_values(at)
    assert any(m.label.startswith("Memory now: CUDA allocated") for m in at.metric)


def test_largest_batch_and_timeline_show_their_results():
    at = run_job(start(LENET, page=MEMORY), "mem.max_batch")
    assert at.success[-1].value.startswith("Largest batch that fits: ")
    at = run_job(at, "mem.timeline")
    assert at.success[-1].value.startswith("Largest batch that fits: ")  # each action keeps its result
    titles = [figure(at, i)["layout"]["title"]["text"] for i in range(len(at.get("plotly_chart")))]
    assert any(title.startswith("Allocated memory during one measurement") for title in titles)
    captions = slide_captions(at)  # the timeline's and the live view's slide files name the step
    assert captions["mem.timeline_chart"] == captions["mem.live_chart"] == \
        "d2l_lenet_bn · input 1×28×28 · fp32 · sgd"
