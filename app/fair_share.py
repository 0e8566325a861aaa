"""Who gets the next free query worker: fair between users, and never all of them for slow queries.

Measured before: six tabs each opening a different heavy Compare link took another session's Explore
from a median of 0.12 s to 20.4 s, because the query workers served whoever asked first. Now:

- the users (a client address, or the user the deployer's proxy names) with waiting queries are
  served in turn (round-robin), whatever number of tabs each has open;
- a query is heavy when its config is deep (more than HEAVY_DEPTH blocks or layers in its depth lists:
  densenet264 has 130), known before it runs; heavy queries
  together hold at most all workers but one: the last one stays free for everyone else's usual,
  fast queries. (A session was also made heavy once one of its queries took over a second: on busy
  cores honest sessions' queries did too, and waited behind the attack: 26.8 s p95.)
- one session never has two queries running (a page runs its queries one after another);
- a config deeper than the server's CNN_EXPLORER_QUERY_DEPTH (256: 768-layer DenseNets took 7 s of a
  worker each, four to a Compare page) is refused before it runs (app/engine/queries.py), with a message.

tests/test_fair_share.py replays it; `bench/load.py --attackers 6` measures honest sessions' latency
beside six heavy tabs.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import threading
from collections import Counter, deque

# Entries summed over a config's whole-number lists (block_config, layers, depths): densenet264 has 130.
HEAVY_DEPTH = 128

# Who asks: (user, session), set by each page run (app/streamlit_app.py); the server's own work (the
# warm-up, the session watch) asks as nobody in particular.
REQUESTER: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "requester", default=("server", "server"))


# The config fields that count blocks or layers (core's families: DenseNet, ResNet, RegNet, VGG); the
# other lists are channel widths, which cost an analysis nothing more.
DEPTH_FIELDS = ("block_config", "layers", "depths", "convs_per_block")


def depth(args: tuple) -> int:
    """The deepest config (JSON) among a query's arguments, summed over its DEPTH_FIELDS: its cost,
    known before it runs, without torch (an analysis takes time in proportion to the layers it
    traces)."""
    deepest = 0
    for arg in args:
        if isinstance(arg, str) and arg.startswith("{"):
            try:
                values = json.loads(arg)
            except ValueError:
                continue
            if not isinstance(values, dict):
                continue
            # lists as core holds them, or as a link or the Compare page spells them ("128,128")
            lists = [v if isinstance(v, list) else str(v).split(",")
                     for k, v in values.items() if k in DEPTH_FIELDS]
            deepest = max(deepest, sum(_whole(x) for v in lists for x in v))
    return deepest


def _whole(value) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


class FairShare:
    def __init__(self, slots: int):
        self.slots = slots
        self.heavy_slots = max(1, slots - 1)
        self._cond = threading.Condition()
        self._waiting: dict[str, deque] = {}  # user -> tickets, in arrival order
        self._served: dict[str, int] = {}     # user -> when last served (a count of turns given)
        self._turns = 0
        self._running: Counter = Counter()    # session -> its queries running
        self._busy = self._busy_heavy = 0

    def _allowed(self, session: tuple, heavy: bool) -> bool:
        if self._busy >= self.slots or self._running[session]:
            return False
        return not heavy or self._busy_heavy < self.heavy_slots

    def _next(self):
        """The ticket to serve now: the first ticket that may run of the user served longest ago. Not
        only a user's oldest ticket: a deep query waiting for a heavy slot must not hold back the
        same user's light ones (a class behind one NAT address is one user)."""
        ready = []
        for user, tickets in self._waiting.items():
            if (ticket := next((t for t in tickets if self._allowed(*t[:2])), None)) is not None:
                ready.append((self._served.get(user, -1), user, ticket))
        return min(ready, key=lambda r: r[:2])[2] if ready else None

    @contextlib.contextmanager
    def turn(self, heavy: bool = False):
        """Hold a worker's turn for one query of the current REQUESTER (`heavy`: a `depth(args)` above
        HEAVY_DEPTH)."""
        user, session_id = REQUESTER.get()
        session = (user, session_id)
        ticket = (session, heavy, object())
        with self._cond:
            self._waiting.setdefault(user, deque()).append(ticket)
            self._cond.wait_for(lambda: self._next() is ticket)
            tickets = self._waiting[user]
            tickets.remove(ticket)
            if not tickets:
                del self._waiting[user]
            self._turns += 1
            self._served[user] = self._turns  # its next query waits behind the other users'
            if len(self._served) > 10_000:  # users long gone: forget the oldest half
                for gone, _ in sorted(self._served.items(), key=lambda item: item[1])[:5_000]:
                    del self._served[gone]
            self._running[session] += 1
            self._busy += 1
            self._busy_heavy += heavy
        try:
            yield
        finally:
            with self._cond:
                self._running[session] -= 1
                if not self._running[session]:
                    del self._running[session]
                self._busy -= 1
                self._busy_heavy -= heavy
                self._cond.notify_all()
