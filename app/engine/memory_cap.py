"""What runs inside a worker around each query or job: core's budget for its estimates, the cap on what
it may add to its worker's memory, and the worker function it calls (named "module.function" of
app/workers/, which only worker processes import)."""
from __future__ import annotations

import importlib
import logging
import os
import threading

from app import settings

logger = logging.getLogger(__name__)

# What one job may add to its worker's memory: above core's per-job budget (768 MiB, checked before
# anything is allocated) with room for what an estimate cannot see.
JOB_MEMORY_MIB = settings.value("CNN_EXPLORER_JOB_MEMORY_MIB")
# core's per-job budget, sent with every call: a cluster's workers follow the web server's setting.
JOB_BUDGET_MIB = settings.value("CNN_EXPLORER_JOB_BUDGET_MIB")
MEMORY_EXIT = 75  # the exit status of a worker that went past a job's memory cap


def limits() -> dict:
    """What each job is given: its worker's memory cap and core's budget for its estimates."""
    return {"cap_mib": JOB_MEMORY_MIB, "budget_mib": JOB_BUDGET_MIB}


class MemoryCap:
    """In a worker, around one job: core's budget for its estimates set to the web server's
    (`budget_mib`), and the process ended when its resident memory grows past `cap_mib` over what it
    was when the job began (checked 20 times a second). Nothing else ends a worker with this status."""

    def __init__(self, cap_mib: int, budget_mib: int):
        self.limit = rss() + cap_mib * 2**20
        self._done = threading.Event()
        # in the worker: app.workers imports core (the web process imports neither)
        self._budget = importlib.import_module("app.workers").job_budget(budget_mib)

    def __enter__(self):
        self._budget.__enter__()
        threading.Thread(target=self._watch, name="memory-cap", daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._budget.__exit__(*exc)

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            if rss() > self.limit:
                logger.error("a job went past its memory cap: ending its worker")
                os._exit(MEMORY_EXIT)


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def worker_function(name: str):
    """app.workers.`name` ("module.function"), imported in the worker that calls it."""
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(f"app.workers.{module}"), function)
