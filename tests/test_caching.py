"""The web process's caches of engine results: bounded in entries, failures never kept."""
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
