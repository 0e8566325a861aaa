"""What `streamlit run` serves: the app (streamlit_app.py) behind what a shared server needs and
Streamlit has no setting for (its ASGI App takes middleware):

- X-Frame-Options and CSP frame-ancestors: no other site may frame the app (a framing page could make
  a visitor's browser open hostile links in it unseen);
- /_stcore/metrics answers 404 unless the deployer turns it on (CNN_EXPLORER_METRICS=1): it tells
  anyone the server's sessions and memory;
- a warm-up before the health check answers ok (app/warmup.py), and 503 while the job engine is down
  (app/engine/cluster.py restarts it).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `app.*` and `core`, as streamlit_app.py
from app import settings  # noqa: E402

if broken := settings.problems():  # refuse to start: no health check answers for a broken server
    sys.stderr.write("The server does not start: its settings break their rules\n  "
                     + "\n  ".join(broken) + "\n")
    raise SystemExit(2)

from app import engine, preload, warmup  # noqa: E402

preload.everything()  # before anyone is served: first visits arriving together never race an import

SECURITY_HEADERS = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": b"frame-ancestors 'none'",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
}
METRICS_PATH = "/_stcore/metrics"
HEALTH_PATH = "/_stcore/health"


async def _plain(send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), *SECURITY_HEADERS.items()]})
    await send({"type": "http.response.body", "body": body})


class SharedServerGuard:
    """ASGI middleware: SECURITY_HEADERS on every HTTP response, the metrics endpoint off."""

    def __init__(self, app):
        self.app = app
        self.metrics = os.environ.get("CNN_EXPLORER_METRICS") == "1"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"].rstrip("/")
        if path.endswith(METRICS_PATH) and not self.metrics:
            return await _plain(send, 404, b"not found")
        if path.endswith(HEALTH_PATH) and not warmup.DONE.is_set():
            return await _plain(send, 503, b"warming up")
        if path.endswith(HEALTH_PATH) and not engine.ready():
            return await _plain(send, 503, b"the job engine is restarting")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in SECURITY_HEADERS.items() if k not in present)]
            await send(message)

        return await self.app(scope, receive, send_with_headers)


# The health check answers 503 until the warm-up is done, so a load balancer (and the tests) send no
# one before first visits are cheap; the server already serves meanwhile.
warmup.start_in_background()
app = st.App(Path(__file__).with_name("streamlit_app.py"), middleware=[Middleware(SharedServerGuard)])
