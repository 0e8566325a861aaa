"""The web process's caches of engine results: bounded in entries, failures never kept."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app import engine
from app.services.caching import cached


def test_a_cache_keeps_its_latest_entries_only_and_never_a_failure():
    calls = []

    @cached(max_entries=2)
    def answer(config: str) -> dict:
        calls.append(config)
        if config == "fails":
            raise engine.JobFailed("deadline", "too slow")
        return {"config": config}

    for config in ("a", "b", "a", "c", "a", "b"):  # b was the oldest when c came: asked again
        assert answer(config) == {"config": config}
    assert calls == ["a", "b", "c", "b"]
    assert answer("fails")["error"]["code"] == "job.deadline"
    assert answer("fails")["error"]["code"] == "job.deadline" and calls.count("fails") == 2


def test_every_session_reads_the_one_stored_result_and_a_reader_that_changes_it_is_caught():
    from app.services import caching

    @caching.shared(max_entries=4)
    def summary(config: str) -> dict:
        return {"rows": [1, 2, 3]}

    first = summary("a")
    assert summary("a") is first  # no copy per read (st.cache_data unpickles one every time)
    assert caching.CHECK, "the suite runs with CNN_EXPLORER_CACHE_CHECK=1 (tests/conftest.py)"
    first["rows"].append(4)
    with pytest.raises(caching.CachedResultChanged, match="summary"):
        summary("a")


def test_concurrent_misses_on_one_key_ask_once_and_entries_expire():
    from app.services.caching import SharedCache

    calls, gate = [], threading.Event()

    def compute():
        calls.append(1)
        gate.wait(5)
        return {"n": len(calls)}

    cache = SharedCache("slow", max_entries=2, ttl=0.5)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(cache.get, "k", compute) for _ in range(8)]
        time.sleep(0.2)
        gate.set()
        values = [f.result() for f in futures]
    assert len(calls) == 1 and all(v is values[0] for v in values)
    time.sleep(0.6)
    assert cache.get("k", compute) == {"n": 2}  # past its ttl: asked again


def test_images_key_by_their_contents():
    from app.services.caching import shared

    calls = []

    @shared(max_entries=4)
    def maps(image: np.ndarray) -> int:
        calls.append(1)
        return int(image.sum())

    assert maps(np.zeros((1, 4, 4))) == 0 and maps(np.zeros((1, 4, 4))) == 0 and len(calls) == 1
    assert maps(np.ones((1, 4, 4))) == 16 and len(calls) == 2
