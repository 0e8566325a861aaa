"""Results cached in the web process: plain data from the engine's workers, bounded in entries and in
age so that a long-running classroom server cannot grow without limit (an hour keeps a lesson's models
warm). A failure of the engine (deadline, memory cap) comes back as the app's error shape and is never
cached: the next visit tries again."""
from __future__ import annotations

import functools

import streamlit as st

from app import engine

CACHE_TTL_S = 3600


def cached(max_entries: int):
    """st.cache_data on a function that asks the engine, with engine failures as {"error": ...}. The
    bound is required: a function with arguments would otherwise keep one entry per distinct call for
    an hour."""
    def decorate(function):
        inner = st.cache_data(show_spinner=False, max_entries=max_entries, ttl=CACHE_TTL_S)(function)

        @functools.wraps(function)
        def outer(*args, **kwargs):
            try:
                return inner(*args, **kwargs)
            except engine.JobFailed as failed:
                return {"error": failed.to_dict()}
        outer.clear = inner.clear
        return outer
    return decorate
