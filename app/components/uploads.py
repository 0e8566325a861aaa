"""File uploaders whose files leave the web process once taken.

Streamlit keeps an uploaded file's bytes in memory for as long as its uploader holds it (a 150 MB
checkpoint kept 151 MB of the web process's RSS for the session), and an uploader's value cannot be
cleared. So an uploader's key counts the files let go so far: letting one go drops Streamlit's copy
and gives the next run a fresh, empty uploader (an unrendered widget's state goes at the end of the run).
"""
from __future__ import annotations

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx


def key(base: str) -> str:
    """The key of the uploader now drawn under `base` ("ckpt.upload" -> "ckpt.upload.0")."""
    return f"{base}.{st.session_state.get(f'{base}:let_go', 0)}"


def held(base: str):
    """The file that uploader holds, or None (in its on_change callback: the one just uploaded)."""
    return st.session_state.get(key(base))


def let_go(base: str, upload) -> None:
    """Free the bytes of `upload`, taken (written to disk) or refused: Streamlit's copy and the uploader."""
    st.session_state[f"{base}:let_go"] = st.session_state.get(f"{base}:let_go", 0) + 1
    ctx = get_script_run_ctx()
    if ctx is not None:
        runtime.get_instance().uploaded_file_mgr.remove_file(ctx.session_id, upload.file_id)
