"""Results cached in the web process: plain data from the engine's workers, bounded in entries and in
age so that a long-running classroom server cannot grow without limit (an hour keeps a lesson's models
warm). A failure of the engine (deadline, memory cap) comes back as the app's error shape and is never
cached: the next visit tries again.

Every session shares one entry, and a hit returns the stored object itself. st.cache_data, used here
before, unpickles a fresh copy on every read: on a slider step that was 15 % of the web process's CPU
(py-spy under bench/web_cpu.py), for a summary, a catalogue and a graph that no reader changes. That
no reader changes one is checked, not assumed: with CNN_EXPLORER_CACHE_CHECK=1 (the test suite sets
it) each hit compares the entry's pickle with the one taken when it was stored, and raises on a
difference, naming the function."""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
import time
from collections import OrderedDict

import numpy as np

from app import engine

CACHE_TTL_S = 3600
CHECK = os.environ.get("CNN_EXPLORER_CACHE_CHECK") == "1"


class CachedResultChanged(AssertionError):
    """A reader changed a result that every session shares."""


def _hashable(value):
    """A key part for an argument: arrays (images) by dtype, shape and a digest of their bytes."""
    if isinstance(value, np.ndarray):
        digest = hashlib.blake2b(value.tobytes(), digest_size=16).digest()
        return "ndarray", value.dtype.str, value.shape, digest
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


class SharedCache:
    """Least recently used entries, at most `max_entries`, each kept `ttl` seconds. Concurrent misses on
    one key compute it once (a class stepping to the same value asks the engine one time)."""

    def __init__(self, name: str, max_entries: int, ttl: float = CACHE_TTL_S):
        self.name, self.max_entries, self.ttl = name, max_entries, ttl
        self._entries: OrderedDict = OrderedDict()  # key -> (stored at, value, pickle when CHECK)
        self._computing: dict = {}  # key -> the lock its computation holds
        self._lock = threading.Lock()

    def _fresh(self, key):
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        self._entries.move_to_end(key)
        return entry

    def get(self, key, compute):
        with self._lock:
            entry = self._fresh(key)
            computing = None if entry else self._computing.setdefault(key, threading.Lock())
        if entry is None:
            entry = self._compute(key, compute, computing)
        elif CHECK and pickle.dumps(entry[1]) != entry[2]:
            raise CachedResultChanged(f"a reader changed a cached result of {self.name}; copy it before "
                                      "changing it")
        return entry[1]

    def _compute(self, key, compute, computing: threading.Lock):
        with computing:  # a concurrent miss on this key waits here, then finds the entry
            with self._lock:
                entry = self._fresh(key)
            if entry is not None:
                return entry
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._computing.pop(key, None)
                raise
            entry = (time.monotonic(), value, pickle.dumps(value) if CHECK else None)
            with self._lock:
                self._entries[key] = entry
                self._computing.pop(key, None)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return entry


def shared(max_entries: int):
    """Cache a function's results in one SharedCache, keyed by its arguments."""
    def decorate(function):
        cache = SharedCache(function.__qualname__, max_entries)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            key = (_hashable(args), _hashable(kwargs))
            return cache.get(key, lambda: function(*args, **kwargs))
        return wrapper
    return decorate


def cached(max_entries: int):
    """shared() on a function that asks the engine, with engine failures as {"error": ...}. The bound is
    required: a function with arguments would otherwise keep one entry per distinct call for an hour."""
    def decorate(function):
        inner = shared(max_entries)(function)

        @functools.wraps(function)
        def outer(*args, **kwargs):
            try:
                return inner(*args, **kwargs)
            except engine.JobFailed as failed:
                return {"error": failed.to_dict()}
        return outer
    return decorate
