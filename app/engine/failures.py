"""What the engine says when it cannot give a result: one error type for every page to show."""
from __future__ import annotations

import logging

from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

logger = logging.getLogger(__name__)


class JobFailed(RuntimeError):
    """The engine could not give a result: `code` is "too_deep", "deadline", "memory", "unreachable",
    "busy", "restarting", "lost" or "failed"; `to_dict()` is the app's error shape ({"field", "message",
    "code", "args"}) for error_text to show."""

    def __init__(self, code: str, message: str, **args):
        super().__init__(message)
        self.code, self.message, self.args_ = code, message, args

    def to_dict(self) -> dict:
        return {"field": "job", "message": self.message, "code": f"job.{self.code}", "args": self.args_}


def restarting() -> JobFailed:
    return JobFailed("restarting", "the job engine is restarting; try again in a few seconds")


def failure(exc: Exception, cap_mib: int) -> JobFailed:
    """A Ray error of a query or a job, as the user is told it: its worker ended (past the memory cap
    of `cap_mib`, or killed), or the code's own error."""
    if isinstance(exc, (WorkerCrashedError, RayActorError)):
        return JobFailed("memory", f"the job was stopped: its worker process ended, past the "
                                   f"{cap_mib:,} MiB a job may add on this server (its model, batch "
                                   f"and data together) or killed by the system; a smaller model, "
                                   f"batch, input or training set may fit", cap_mib=cap_mib)
    cause = exc.cause if isinstance(exc, RayTaskError) else exc
    logger.error("job failed: %s", exc)
    return JobFailed("failed", f"{type(cause).__name__}: {cause}")
