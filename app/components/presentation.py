"""Presentation mode, for a projector: `present=1` in any page's link (or the sidebar's toggle) hides
the sidebar, enlarges the page's text by TEXT_SCALE and the figures' fonts by FONT_SCALE, and opens
the graph at GRAPH_ZOOM times its own size; the rest of the page's state stays in its link, so a
teacher can prepare a lesson as a list of links."""
from __future__ import annotations

import streamlit as st

from . import url_state
from .i18n import t

KEY = url_state.PRESENT  # the session's switch; url_state writes it into every page's link
TEXT_SCALE = 1.5
FONT_SCALE = 1.5
GRAPH_ZOOM = 1.5  # the graph's 15 pt labels (PROJECTOR_FONT_PT): 20 px at the drawing's own size, 30 px here
_CSS = f"""<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {{ display: none !important; }}
html {{ font-size: {16 * TEXT_SCALE:.0f}px; }}
</style>"""


def on() -> bool:
    return bool(st.session_state.get(KEY))


def font_scale() -> float:
    return FONT_SCALE if on() else 1.0


def switch(url_value: str | None, from_url: bool) -> None:
    """The sidebar's toggle; a link's `present` wins when the URL changed from outside. In presentation
    mode: the sidebar hidden, the text enlarged, and a button to leave at the top of the page."""
    if from_url:
        st.session_state[KEY] = url_value == "1"
    st.sidebar.toggle(t("present.toggle"), key=KEY, on_change=url_state.acted, help=t("present.help"))
    if on():
        st.html(_CSS)
        st.button(t("present.leave"), key="present.leave", icon=":material/close_fullscreen:",
                  on_click=_leave)


def _leave() -> None:
    url_state.acted()
    st.session_state[KEY] = False
