"""A Streamlit session driven at its websocket protocol, as a browser's frontend drives it, without a
browser: one Python process can hold hundreds of sessions (the students' browsers run on their own
laptops, not on the server's cores).

The client connects to /_stcore/stream (subprotocol "streamlit"), sends BackMsg.rerun_script with a
ClientState (query string, page, widget states) and reads ForwardMsgs until the run's script_finished.
Like the frontend it echoes page_info_changed's query string on the next run and keeps every widget's
id by its key, so that an action changes one widget by key (a slider step, a tab, a button press); a
widget drawn inside a fragment reruns that fragment alone, as the frontend asks (checked against
chromium's websocket frames: a tab switch on Explore is sent with the results fragment's id).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
WIDGETS = ("slider", "number_input", "selectbox", "button", "button_group", "text_input", "toggle",
           "radio", "checkbox")


@dataclass
class Widget:
    id: str
    kind: str        # "slider", "number_input", "tab", "button", ...
    proto: object    # the element's proto (bounds, options, current value)


@dataclass
class Run:
    seconds: float
    exceptions: list[str] = field(default_factory=list)  # the messages of exception elements shown
    errors: list[str] = field(default_factory=list)      # the bodies of st.error alerts shown
    metrics: dict[str, str] = field(default_factory=dict)  # st.metric label -> value shown


class ProtocolError(RuntimeError):
    """The server did not finish a run in time, closed the socket, or the script failed to compile."""


def _key_of(widget_id: str) -> str | None:
    """The user key a widget id ends with ("$$ID-<hash>-<key>"), when it has one."""
    head, _, key = widget_id.rpartition("-")
    return key if head.startswith("$$ID") and key and key != "None" else None


class Session:
    """One browser tab's session. `open(path_query)` loads the app; `rerun(...)` is one user action."""

    def __init__(self, base_url: str, timeout: float = 60, cookie: str = "", headers: dict | None = None):
        self.url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.timeout = timeout
        self.cookie = cookie  # a load balancer's affinity cookie, sent as a browser sends it
        self.headers = headers or {}  # e.g. what an authenticating proxy adds (the user's name)
        self.query = ""
        self.page_hash = ""
        self.pages: dict[str, str] = {}        # url path ("explore") -> page script hash
        self.widgets: dict[str, Widget] = {}   # user key -> widget, from the latest runs
        self._fragment_of: dict[str, str] = {}  # widget id -> the fragment it was drawn in
        self._socket = None

    async def open(self, query: str = "", page: str = "") -> Run:
        """Load the app at /`page`?`query`, as a browser's first visit does."""
        headers = {**self.headers, **({"Cookie": self.cookie} if self.cookie else {})}
        self._socket = await connect(self.url, subprotocols=["streamlit"], max_size=2**26,
                                     open_timeout=self.timeout, additional_headers=headers or None)
        self.query = query
        return await self._run(BackMsg(), page_name=page)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def rerun(self, widgets: list[WidgetState] = (), page: str | None = None) -> Run:
        """One user action: the widget states that changed, or a switch to `page` (its url path, "" for
        the default page), as the sidebar's links do: the new page publishes its own URL."""
        if page is not None:
            self.page_hash, self.query = self.pages[page], ""
        message = BackMsg()
        message.rerun_script.widget_states.widgets.extend(widgets)
        fragments = {self._fragment_of.get(w.id, "") for w in widgets}
        if len(fragments) == 1 and page is None:
            message.rerun_script.fragment_id = fragments.pop()
        return await self._run(message)

    async def _run(self, message: BackMsg, page_name: str = "") -> Run:
        state = message.rerun_script
        state.query_string, state.page_script_hash, state.page_name = self.query, self.page_hash, page_name
        started = time.perf_counter()
        try:
            await self._socket.send(message.SerializeToString())
        except ConnectionClosed as exc:
            raise ProtocolError(f"socket closed: {exc}") from exc
        run = Run(0.0)
        await asyncio.wait_for(self._read_until_finished(run), self.timeout)
        run.seconds = time.perf_counter() - started
        return run

    async def _read_until_finished(self, run: Run) -> None:
        while True:
            try:
                data = await self._socket.recv()
            except ConnectionClosed as exc:
                raise ProtocolError(f"socket closed: {exc}") from exc
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                self._take_delta(msg.delta, run)
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise ProtocolError("the script failed to compile")
                if msg.script_finished in FINISHED:
                    return

    def _take_delta(self, delta, run: Run) -> None:
        if delta.WhichOneof("type") == "add_block" and delta.add_block.WhichOneof("type") == "tab_container":
            block = delta.add_block
            if key := _key_of(block.id):
                self.widgets[key] = Widget(block.id, "tab", block.tab_container)
                self._fragment_of[block.id] = delta.fragment_id
            return
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions.append(element.exception.message)
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            run.errors.append(element.alert.body)
        elif kind == "metric":
            run.metrics[element.metric.label] = element.metric.body
        elif kind in WIDGETS:
            proto = getattr(element, kind)
            if key := _key_of(proto.id):
                self.widgets[key] = Widget(proto.id, kind, proto)
                self._fragment_of[proto.id] = delta.fragment_id


def number(widget: Widget, value: float) -> WidgetState:
    """The state of a slider or number box set to `value`."""
    state = WidgetState(id=widget.id)
    if widget.kind == "slider":
        state.double_array_value.data.append(value)
    else:
        state.double_value = value
    return state


def text(widget: Widget, value: str) -> WidgetState:
    """The state of a tab bar, select box or text box set to `value` (a label or option)."""
    return WidgetState(id=widget.id, string_value=value)


def press(widget: Widget) -> WidgetState:
    return WidgetState(id=widget.id, trigger_value=True)
