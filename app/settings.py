"""The deployer's settings: every environment variable the server reads, with its default and its rule,
checked in one place. The server refuses to start while one breaks its rule (app/server.py), naming
the variable, its value and the rule: a typo must not silently become the default, and a 0 must not
become a server that waits forever or divides by zero. The web process reads them; workers get the
values they need with each call (app/engine/), so a cluster's workers follow the web server's
configuration. docs/deploy.md § Limits lists them.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: int
    low: int
    high: int
    what: str


_SETTINGS = [
    Setting("CNN_EXPLORER_QUERY_SECONDS", 120, 1, 3600, "seconds one query may run"),
    Setting("CNN_EXPLORER_JOB_MEMORY_MIB", 2048, 64, 2**20, "MiB one job may add to its worker"),
    Setting("CNN_EXPLORER_JOB_BUDGET_MIB", 768, 16, 2**20,
            "MiB a job's estimate may reach before it is refused"),
    Setting("CNN_EXPLORER_QUERY_DEPTH", 256, 16, 100_000,
            "blocks or layers a model's lists may hold, summed, for a query (densenet264 has 130)"),
    Setting("CNN_EXPLORER_WORKERS", max(2, os.cpu_count() or 2), 1, 256,
            "query worker processes of this web process"),
    Setting("CNN_EXPLORER_TRAINING_SLOTS", 2, 1, 256, "training runs at once on the local engine"),
    Setting("CNN_EXPLORER_TRAIN_SECONDS", 900, 10, 7 * 86400, "seconds one training run may take"),
    Setting("CNN_EXPLORER_TRAIN_QUEUE", 8, 1, 10_000, "training runs running or waiting, all users"),
    Setting("CNN_EXPLORER_TRAIN_PER_USER", 2, 1, 1000, "training runs running or waiting, one user"),
    Setting("CNN_EXPLORER_UNWATCHED_S", 60, 1, 86400,
            "seconds a session without a browser keeps its runs and files"),
    Setting("CNN_EXPLORER_UPLOAD_BUDGET_MIB", 1024, 1, 2**20, "MiB of uploads on disk, all sessions"),
    Setting("CNN_EXPLORER_UPLOAD_PER_USER_MIB", 400, 1, 2**20,
            "MiB of uploads on disk, one user's sessions"),
]
SETTINGS = {s.name: s for s in _SETTINGS}


class SettingError(ValueError):
    pass


def value(name: str) -> int:
    """The setting's value: its variable when set, else its default. SettingError past its rule."""
    setting = SETTINGS[name]
    text = os.environ.get(name, "").strip()
    if not text:
        return setting.default
    if not re.fullmatch(r"\d{1,12}", text) or not setting.low <= int(text) <= setting.high:
        raise SettingError(f"{name}={text!r} is not allowed: {setting.what}, a whole number in "
                           f"[{setting.low:,}, {setting.high:,}] (unset, it is {setting.default:,})")
    return int(text)


def problems() -> list[str]:
    """What is wrong with the environment's settings, one line per setting (none: [])."""
    found = []
    for name in SETTINGS:
        try:
            value(name)
        except SettingError as exc:
            found.append(str(exc))
    return found
