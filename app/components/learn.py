"""The Learn tab: a note on the family and "predict, then reveal" questions about the current model.

Every answer is read from core's analysis of the model on screen, so the quiz follows the sliders.
"""
from __future__ import annotations

import streamlit as st

from . import learn_beyond
from .i18n import t
from .numbers import exact, spelled


def questions(summary: dict, growth: dict) -> list[dict]:
    """[{question, answer, why}] from a summary and a channel-growth dict (both from core)."""
    params = summary["total_params"]
    out = [dict(question=t("q.params"), answer=f"{exact(params)} (≈ {spelled(params)})", why="")]
    dense = growth["dense_blocks"]
    if dense:
        block = dense[1] if len(dense) > 1 else dense[0]
        n, k0, k = len(block["layer_inputs"]), block["k0"], block["growth"]
        reads = (f"k = {k} ({t('chan.one_shot')})" if block["one_shot"] else
                 f"k0 + k·(L−1) = {k0} + {k}·{n - 1}")
        out.append(dict(question=t("q.layer_inputs", block=block["name"]),
                        answer=exact(block["layer_inputs"][-1]), why=reads))
        out.append(dict(question=t("q.output_channels", block=block["name"]),
                        answer=exact(block["output"]), why=f"k0 + k·L = {k0} + {k}·{n}"))
        if block.get("transition"):
            tr = block["transition"]
            out.append(dict(question=t("q.transition", name=tr["name"]), answer=exact(tr["output"]),
                            why=f"⌊θ·{tr['input']}⌋ = {tr['output']}"))
    else:
        steps = growth["main_path"]
        blocks = [s for s in steps if s["type"] not in ("Conv2d", "BatchNorm2d", "ReLU", "Linear",
                                                        "Flatten", "Dropout", "Sigmoid")]
        pick = blocks[len(blocks) // 2] if blocks else steps[len(steps) // 2]
        out.append(dict(question=t("q.output_channels", block=pick["name"]), answer=exact(pick["channels"]),
                        why=""))
        out.append(dict(question=t("q.side", name=pick["name"]),
                        answer=f"{pick['height']}×{pick['width']}", why=""))
    out.append(dict(question=t("q.depth"), answer=str(summary["depth"]), why=""))
    out.extend(field_questions(summary))
    return out


def field_questions(summary: dict) -> list[dict]:
    """How far the layers see (core's receptive_field and jump per row): the first layer one of whose
    outputs spans the whole input, and the field of the middle layer of the main path."""
    _, height, width = summary["input_shape"]
    side, size = max(height, width), f"{height}×{width}"
    rows = [r for r in summary["layers"] if r.get("receptive_field") is not None]
    if not rows:
        return []
    spans = next(r for r in rows if r["receptive_field"] == "whole input" or r["receptive_field"] >= side)
    field = spans["receptive_field"]
    why = (t("q.whole_why", type=spans["type"]) if field == "whole input" else
           t("q.spans_why", field=f"{field:,}", side=side, jump=spans["jump"]))
    out = [dict(question=t("q.first_whole", size=size), answer=f"{spans['name']} ({spans['type']})", why=why)]
    convs = [r for r in rows if r["type"] == "Conv2d" and r["receptive_field"] != "whole input"]
    if convs:
        middle = convs[len(convs) // 2]
        out.append(dict(question=t("q.field", name=middle["name"]),
                        answer=f"{middle['receptive_field']:,} × {middle['receptive_field']:,}",
                        why=t("q.field_why", jump=middle["jump"])))
    return out


def render(family: str, family_title: str, summary: dict, growth: dict, speed: dict) -> None:
    """`speed`: core's roofline of the model on an H100 (services.roofline), or its error."""
    st.subheader(t("learn.about", family=family_title))
    st.markdown(t(f"learn.note.{family}"))
    st.subheader(t("learn.quiz"))
    st.caption(t("learn.quiz_help"))
    asked = questions(summary, growth) + learn_beyond.questions(family, summary["config"], growth, speed)
    for i, q in enumerate(asked):
        with st.expander(f"{i + 1}. {q['question']}"):
            st.markdown(f"**{q['answer']}**" + (f"  ·  {q['why']}" if q["why"] else ""))
