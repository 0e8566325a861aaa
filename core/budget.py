"""The byte budget that every real allocation a user can ask for is checked against first.

A link or a checkpoint's metadata can ask for densenet121 at 2048² or LeNet at 1024² with 64
channels: allocated, either takes gigabytes of a shared server. The bytes are known beforehand from
the meta-device estimate (core.memory.step_bytes), so a job that would exceed the budget is refused
with a message before anything is allocated. The budget is per job, set by the deployer
(CNN_EXPLORER_JOB_BUDGET_MIB; docs/deploy.md).
"""
from __future__ import annotations

import contextlib
import contextvars
import os

from .errors import ConfigError

MIB = 2**20
DEFAULT_BUDGET_MIB = 768  # two jobs and the server fit the Kubernetes example's 2 GiB pod


_LIMIT_MIB: contextvars.ContextVar[int | None] = contextvars.ContextVar("budget_mib", default=None)


@contextlib.contextmanager
def limit(mib: int):
    """The budget inside the block: the app's workers run each job under the web server's setting."""
    token = _LIMIT_MIB.set(mib)
    try:
        yield
    finally:
        _LIMIT_MIB.reset(token)


def budget_bytes() -> int:
    """The budget set by `limit`, else CNN_EXPLORER_JOB_BUDGET_MIB (the CLI's environment), else 768."""
    mib = _LIMIT_MIB.get()
    if mib is None:
        text = os.environ.get("CNN_EXPLORER_JOB_BUDGET_MIB", "").strip() or str(DEFAULT_BUDGET_MIB)
        if not text.isdecimal() or int(text) < 1:
            raise ConfigError("budget", f"CNN_EXPLORER_JOB_BUDGET_MIB={text!r}: use a whole number of "
                                        "MiB ≥ 1, or unset it for the default of "
                                        f"{DEFAULT_BUDGET_MIB}")
        mib = int(text)
    return mib * MIB


def check(what: str, needed: int, fix: str) -> None:
    """Raise a ConfigError (code "budget") when `needed` bytes exceed the job budget."""
    budget = budget_bytes()
    if needed > budget:
        raise ConfigError("budget", f"{what} would need {needed / MIB:,.0f} MiB, more than the "
                                    f"{budget / MIB:,.0f} MiB a job may use on this server; {fix}",
                          code="budget", args={"what": what, "needed_mib": round(needed / MIB),
                                               "budget_mib": round(budget / MIB), "fix": fix})

