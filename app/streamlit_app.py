"""Entry point: page config, the shared frame (title, language switch) and the page router."""
import sys
from pathlib import Path

import streamlit as st

# `streamlit run app/streamlit_app.py` puts app/ on sys.path; the app imports `app.*` and `core`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import settings  # noqa: E402

if broken := settings.problems():  # served without app/server.py, which refuses to start instead
    st.error("This server's settings break their rules; its operator must fix them:\n\n"
             + "\n".join(f"- `{line}`" for line in broken))
    st.stop()

from app import preload  # noqa: E402

preload.everything()  # the first sessions of a server started without app/server.py wait here

from streamlit.runtime.scriptrunner import get_script_run_ctx  # noqa: E402

from app import engine, fair_share, services  # noqa: E402
from app.components import error_text, presentation, url_state  # noqa: E402
from app.components.history import one_entry_per_page_switch  # noqa: E402
from app.components.i18n import language_switch, t  # noqa: E402

st.set_page_config(page_title="CNN Architecture Explorer", page_icon=":material/hub:", layout="wide")

# Whose queries this run asks (the query workers serve users in turn: app/fair_share.py).
fair_share.REQUESTER.set((services.user_id(), getattr(get_script_run_ctx(), "session_id", "")))
params, from_url = url_state.incoming()
language_switch(params.get("lang"), from_url)
presentation.switch(params.get("present"), from_url)
one_entry_per_page_switch()
st.sidebar.markdown(f"### {t('app.title')}\n{t('app.tagline')}")
page = st.navigation([
    st.Page("views/explore.py", title=t("page.explore"), icon=":material/explore:", url_path="explore",
            default=True),
    st.Page("views/compare.py", title=t("page.compare"), icon=":material/compare_arrows:",
            url_path="compare"),
    st.Page("views/memory.py", title=t("page.memory"), icon=":material/memory:", url_path="memory"),
    st.Page("views/connections.py", title=t("page.connections"), icon=":material/grid_on:",
            url_path="connections"),
    st.Page("views/attributions.py", title=t("page.attributions"), icon=":material/image_search:",
            url_path="attributions"),
    st.Page("views/train.py", title=t("page.train"), icon=":material/model_training:", url_path="train"),
])
try:
    page.run()
except engine.JobFailed as failed:  # the engine itself is unreachable: said on the page, no traceback
    error_text.show(st, failed.to_dict())
