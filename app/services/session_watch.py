"""What a session leaves running or on disk ends once no browser has shown it for UNWATCHED_S: its
training runs stop, then its folder (uploads, trained checkpoints) goes.

A closed browser leaves its session stored for a reconnect, and Streamlit frees a stored session only
when it next tidies its store: a run went on training for 330 s (and counting) after its last browser
closed, and an upload's folder was still on disk 200 s after, so the end of a session's state alone
cannot end them. One thread for the web process asks Streamlit every WATCH_EVERY_S which sessions
have a browser."""
from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from streamlit import runtime

from app import settings

logger = logging.getLogger(__name__)

UNWATCHED_S = settings.value("CNN_EXPLORER_UNWATCHED_S")  # a dropped Wi-Fi reconnects within it
WATCH_EVERY_S = 5


class Run(Protocol):
    done: bool

    def check_watched(self, watched: bool) -> None:
        """Stop if not `watched`; take the run's news either way (a run that ended frees its worker)."""


@dataclass
class _Left:
    """What one session has left to end, and when a browser last showed it."""
    seen: float = field(default_factory=time.monotonic)
    runs: list[Run] = field(default_factory=list)
    folder: Path | None = None


class _Watch:
    def __init__(self):
        self._sessions: dict[str, _Left] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, session_id: str, run: Run | None = None, folder: Path | None = None) -> None:
        with self._lock:
            left = self._sessions.setdefault(session_id, _Left())
            if run is not None:
                left.runs.append(run)
            if folder is not None:
                left.folder = folder
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="session-watch", daemon=True)
                self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_EVERY_S)
            with self._lock:
                sessions = list(self._sessions.items())
            for session_id, left in sessions:
                try:
                    self._check(session_id, left)
                except Exception:  # one session's trouble must not end the watch over the others
                    logger.exception("checking what a session left failed")

    def _check(self, session_id: str, left: _Left) -> None:
        if not runtime.exists():  # no server to ask (AppTest between its runs)
            return
        if runtime.get_instance().is_active_session(session_id):
            left.seen = time.monotonic()
        watched = time.monotonic() - left.seen <= UNWATCHED_S
        for run in list(left.runs):
            run.check_watched(watched)
        with self._lock:
            left.runs = [run for run in left.runs if not run.done]
            if watched or left.runs:  # a stopping run may still write its checkpoint into the folder
                return
            del self._sessions[session_id]
        if left.folder is not None:
            logger.info("a session's folder goes: no browser for %d s", UNWATCHED_S)
            shutil.rmtree(left.folder, ignore_errors=True)


_WATCH = _Watch()


def add_run(session_id: str, run: Run) -> None:
    """Stop `run` once its session has had no browser for UNWATCHED_S."""
    _WATCH.add(session_id, run=run)


def add_folder(session_id: str, folder: Path) -> None:
    """Remove `folder` once its session has had no browser for UNWATCHED_S and its runs have ended."""
    _WATCH.add(session_id, folder=folder)
