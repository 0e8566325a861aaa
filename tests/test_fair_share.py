"""The query workers' turns (app/fair_share.py), replayed with threads as the sessions' script threads
ask: users are served in turn however many tabs each has, and slow sessions never hold every worker."""
import threading
import time

import pytest

from app import fair_share
from app.fair_share import REQUESTER, FairShare


def ask(share: FairShare, who: tuple[str, str], seconds: float, log: list, started: threading.Event = None):
    REQUESTER.set(who)
    with share.turn():
        log.append(("start", who, time.monotonic()))
        if started:
            started.set()
        time.sleep(seconds)
    log.append(("end", who, time.monotonic()))


def run_all(threads):
    for t in threads:
        t.start()
        time.sleep(0.01)  # in this order
    for t in threads:
        t.join(10)


def test_users_take_turns_however_many_tabs_one_of_them_has():
    share, log = FairShare(slots=1), []
    tabs = [threading.Thread(target=ask, args=(share, ("attacker", f"tab{i}"), 0.2, log))
            for i in range(4)]
    honest = threading.Thread(target=ask, args=(share, ("student", "s"), 0.2, log))
    run_all([*tabs, honest])
    order = [who[0] for kind, who, _ in log if kind == "start"]
    # the attacker's first tab got the free worker; the student is next, not fifth
    assert order[:2] == ["attacker", "student"]


def light_wait(share: FairShare, log: list, heavy_user: str, heavies: int, who: tuple) -> float:
    """Seconds `who`'s light query waits while `heavies` heavy queries of `heavy_user` (one per tab,
    started in this order) hold or wait for the heavy slots."""
    heavy = [threading.Thread(target=lambda i=i: (REQUESTER.set((heavy_user, f"tab{i}")),
                                                  heavy_turn(share, log))) for i in range(heavies)]
    for t in heavy:
        t.start()
        time.sleep(0.02)
    begun = time.monotonic()
    ask(share, who, 0.01, log)
    waited = next(t for kind, asker, t in log if kind == "start" and asker == who) - begun
    for t in heavy:
        t.join(10)
    return waited


def test_heavy_queries_never_hold_every_worker():
    share, log = FairShare(slots=2), []
    waited = light_wait(share, log, "attacker", 3, ("student", "s"))
    assert waited < 0.1, f"the student waited {waited:.2f} s behind heavy queries"
    starts = sorted(t for kind, who, t in log if kind == "start" and who[0] == "attacker")
    assert len(starts) == 3 and starts[1] - starts[0] >= 0.2 and starts[2] - starts[1] >= 0.2


def test_one_session_never_runs_two_queries_at_once():
    share, log = FairShare(slots=4), []
    same = [threading.Thread(target=ask, args=(share, ("u", "one tab"), 0.05, log)) for _ in range(3)]
    run_all(same)
    events = sorted(log, key=lambda e: e[2])
    running = most = 0
    for kind, _, _ in events:
        running += 1 if kind == "start" else -1
        most = max(most, running)
    assert most == 1


def test_a_configs_depth_is_known_before_it_runs():
    attack = '{"block_config": [128, 128, 128, 128, 128, 128], "growth_rate": 48}'
    assert fair_share.depth(("densenet", attack, (3, 224, 224))) == 768
    assert fair_share.depth(("densenet121", '{"block_config": "128,128,128,128,128,128"}', 64)) == 768
    assert fair_share.depth(("densenet", '{"block_config": [6, 12, 64, 48], "growth_rate": 32}')) == 130
    assert fair_share.depth(("resnet", '{"layers": [3, 8, 36, 3]}', "not json {")) == 50
    assert fair_share.depth(("lenet", '{"kernel_size": 5}')) == 0
    # channel widths are no depth: vgg16's 13 convolutions, not its 1,472 channels
    vgg16 = '{"convs_per_block": [2, 2, 3, 3, 3], "channels": [64, 128, 256, 512, 512]}'
    assert fair_share.depth(("vgg", vgg16)) == 13
    assert fair_share.depth(("regnet", '{"depths": "1,1,4,7", "widths": "32,64,160,400"}')) == 13
    assert fair_share.depth(("densenet", '{"block_config": "128"}')) == 128


def test_a_config_deeper_than_the_servers_limit_is_refused_before_it_runs(monkeypatch):
    from app import engine
    monkeypatch.setattr(engine.cluster, "connect", lambda: pytest.fail("a refused query reached the engine"))
    with pytest.raises(engine.JobFailed) as refused:
        engine.query("analysis.summary", "densenet", '{"block_config": "128,128,128,128,128,128"}',
                     (3, 224, 224))
    failed = refused.value.to_dict()
    assert failed["code"] == "job.too_deep" and failed["args"] == {"depth": 768, "limit": 256}
    assert "768 blocks or layers" in failed["message"] and "at most 256" in failed["message"]


def heavy_turn(share: FairShare, log: list) -> None:
    with share.turn(heavy=True):
        log.append(("start", REQUESTER.get(), time.monotonic()))
        time.sleep(0.25)


def test_a_users_deep_query_waiting_for_a_heavy_slot_does_not_hold_back_its_light_ones():
    """All sessions behind one address are one user: with its oldest ticket a heavy query waiting for
    the heavy slot, its light query still takes the free worker (in the load bench, honest first loads
    waited 10 s behind the same address's deep Compare queries)."""
    share, log = FairShare(slots=2), []
    # the first holds the heavy slot, the second waits at the head of the user's queue
    waited = light_wait(share, log, "class", 2, ("class", "student"))
    assert waited < 0.1, f"the light query waited {waited:.2f} s behind a heavy one of the same user"
