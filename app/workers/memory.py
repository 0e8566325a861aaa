"""Training-step memory: the meta-device estimate (nothing allocated), one real step on this CPU, and
the GPU actions (a measurement, the allocator's timeline, the largest batch) that run as jobs."""
from __future__ import annotations

import json

import core
from core import memory


def device_info() -> dict:
    """The GPU this worker has: {"cuda": False} without one, else its name and memory."""
    cuda = memory.torch.cuda
    if not cuda.is_available():
        return {"cuda": False}
    props = cuda.get_device_properties(0)
    return {"cuda": True, "name": props.name, "total_mib": props.total_memory / 2**20}


def guarded(measure, *args, **kwargs) -> dict:
    """A measurement's result, or its failure as a message: on a GPU, torch raises RuntimeError
    (OutOfMemoryError is one) and ValueError (BatchNorm at batch 1)."""
    try:
        result = measure(*args, **kwargs)
    except core.ConfigError as exc:
        return {"error": exc.to_dict()}
    except (RuntimeError, ValueError) as exc:  # torch's first two sentences say what happened
        return {"error": {"field": "batch", "message": ". ".join(str(exc).splitlines()[0].split(". ")[:2])}}
    return result if isinstance(result, dict) else result.to_dict()


def estimate(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
             optimizer: str) -> dict:
    """Training-step memory estimated on the meta device (nothing allocated)."""
    return guarded(memory.estimate, model, batch=batch, input_shape=input_shape, dtype=dtype,
                   optimizer=optimizer, **json.loads(changes_json))


def measure_cpu(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
                optimizer: str) -> dict:
    """One real training step on this CPU (allocates: the page keeps the batch small)."""
    return guarded(memory.measure_cpu, model, batch=batch, input_shape=input_shape, dtype=dtype,
                   optimizer=optimizer, **json.loads(changes_json))


def measure_cuda(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
                 optimizer: str) -> dict:
    """Real training steps on the GPU."""
    return guarded(memory.measure_cuda, model, batch=batch, input_shape=input_shape, dtype=dtype,
                   optimizer=optimizer, **json.loads(changes_json))


def timeline(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
             optimizer: str, max_points: int = 2000) -> dict:
    """Allocated bytes after every CUDA allocator event during one measurement, thinned to
    `max_points` (a plot of 100,000 points says no more and freezes the browser)."""
    def one_measurement():
        memory.measure_cuda(model, batch, input_shape, dtype, optimizer, steps=1, **json.loads(changes_json))

    if not device_info()["cuda"]:  # core's timeline assumes CUDA (torch raises AttributeError)
        return {"error": {"field": "device", "message": "no CUDA GPU is present: the timeline needs one"}}
    result = guarded(lambda: {"points": memory.timeline(one_measurement)})
    if "points" in result:
        result["points"] = result["points"][::max(1, len(result["points"]) // max_points)]
    return result


def max_batch(model: str, changes_json: str, input_shape: tuple, dtype: str, optimizer: str) -> dict:
    """Largest batch whose training step fits on the GPU (bisection; every OOM recovered)."""
    return guarded(memory.max_batch_size, model, input_shape, dtype, optimizer, **json.loads(changes_json))


ACTIONS = {"measure": measure_cuda, "timeline": timeline, "max_batch": max_batch}


def gpu_action(progress, action: str, settings: dict) -> dict:
    """A GPU memory action as a job (app.engine.Job): sampled live while it runs."""
    progress.live = memory.MemorySampler()
    with progress.live:
        return ACTIONS[action](**settings)
