"""One browser-history entry per page switch, so that Back undoes one step per press.

Streamlit's page switch pushes the new page's path with the old page's query string; the new page's
first run then writes its own query string, which Streamlit pushes as a second entry. Back from there
lands on the first (a page under another page's link) and needs a second press. This script, run once
in the page's document, turns that second push into a replacement of the first. It only touches
history entries: what the app stores and restores stays in the query string (url_state).
"""
from __future__ import annotations

import streamlit as st

_SCRIPT = """<script>
(() => {
  const history = window.history;  // st.html runs scripts in the page itself, not in a frame
  if (history.onePushPerPageSwitch) return;
  history.onePushPerPageSwitch = true;
  const push = history.pushState.bind(history);
  const replace = history.replaceState.bind(history);
  let switched = null;  // the URL a page switch pushed, still under the previous page's query
  history.pushState = (state, title, url) => {
    const next = new URL(url, location.href);
    if (switched === location.href && next.pathname === location.pathname) {
      switched = null;
      return replace(state, title, url);
    }
    switched = next.pathname !== location.pathname ? next.href : null;
    return push(state, title, url);
  };
  history.replaceState = (state, title, url) => { switched = null; return replace(state, title, url); };
  window.addEventListener("popstate", () => { switched = null; });
})();
</script>"""


def one_entry_per_page_switch() -> None:
    st.html(_SCRIPT, unsafe_allow_javascript=True, width="content")
