"""Live training curves: loss per logged batch and per epoch, accuracy after each epoch."""
from __future__ import annotations

import plotly.graph_objects as go

from .charts import COLORS, _style
from .i18n import t


def loss_figure(batches: list[dict], epochs: list[dict]) -> go.Figure:
    """Batch losses at fractional epochs (epoch 1, batch 5 of 10 -> 0.5) and the epoch means."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[b["epoch"] - 1 + b["step"] / b["steps"] for b in batches],
                             y=[b["loss"] for b in batches], mode="lines", name=t("train.batch_loss"),
                             line=dict(width=2, color=COLORS[0])))
    fig.add_trace(go.Scatter(x=[e["epoch"] for e in epochs], y=[e["train_loss"] for e in epochs],
                             mode="markers+lines", name=t("train.epoch_loss"),
                             line=dict(width=3, color=COLORS[1]), marker=dict(size=11)))
    fig.update_xaxes(title_text=t("train.epoch_x"), rangemode="tozero")
    fig.update_yaxes(title_text=t("train.loss_y"), rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return _style(fig, t("train.loss_title"), 420, bottom=110)


def accuracy_figure(epochs: list[dict]) -> go.Figure:
    fig = go.Figure()
    x = [e["epoch"] for e in epochs]
    series = (("train_accuracy", "train.train_acc"), ("test_accuracy", "train.test_acc"))
    for i, (key, label) in enumerate(series):
        values = [100 * e[key] for e in epochs]
        fig.add_trace(go.Scatter(x=x, y=values, mode="markers+lines+text", name=t(label),
                                 text=[f"{v:.1f}" for v in values], textposition="top center",
                                 line=dict(width=3, color=COLORS[2 + i]), marker=dict(size=11)))
    fig.update_xaxes(title_text=t("train.epoch_x"), dtick=1, range=[0.5, max(x, default=1) + 0.5])
    fig.update_yaxes(title_text=t("train.acc_y"), range=[0, 105])
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return _style(fig, t("train.acc_title"), 420, bottom=110)
