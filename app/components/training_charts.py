"""Live training curves: loss per logged batch and per epoch, accuracy after each epoch."""
from __future__ import annotations

import plotly.graph_objects as go

from .charts import COLORS, figure
from .i18n import t

ACCURACY_TOP = 112  # % at the top of the accuracy axis: a label above a point at 100 % stays inside


def loss_figure(batches: list[dict], epochs: list[dict]) -> go.Figure:
    """Batch losses at fractional epochs (epoch 1, batch 5 of 10 -> 0.5) and the epoch means."""
    traces = [dict(type="scatter", x=[b["epoch"] - 1 + b["step"] / b["steps"] for b in batches],
                   y=[b["loss"] for b in batches], mode="lines", name=t("train.batch_loss"),
                   line=dict(width=2, color=COLORS[0])),
              dict(type="scatter", x=[e["epoch"] for e in epochs], y=[e["train_loss"] for e in epochs],
                   mode="markers+lines", name=t("train.epoch_loss"), line=dict(width=3, color=COLORS[1]),
                   marker=dict(size=11))]
    layout = dict(xaxis=dict(title=dict(text=t("train.epoch_x")), rangemode="tozero"),
                  yaxis=dict(title=dict(text=t("train.loss_y")), rangemode="tozero"),
                  legend=dict(orientation="h", y=-0.25))
    return figure(traces, layout, t("train.loss_title"), 420, bottom=110)


def accuracy_figure(epochs: list[dict]) -> go.Figure:
    """Training and test accuracy per epoch, each point labelled: the higher of an epoch's two labels
    above its point, the lower below, so that they never overlap; the axis leaves room above 100 %."""
    traces = []
    x = [e["epoch"] for e in epochs]
    series = {key: [100 * e[key] for e in epochs] for key in ("train_accuracy", "test_accuracy")}
    for i, (key, label) in enumerate((("train_accuracy", "train.train_acc"),
                                      ("test_accuracy", "train.test_acc"))):
        other = series["test_accuracy" if key == "train_accuracy" else "train_accuracy"]
        above = [v > o or (v == o and key == "test_accuracy")  # a tie: test above
                 for v, o in zip(series[key], other, strict=True)]
        traces.append(dict(type="scatter", x=x, y=series[key], mode="markers+lines+text", name=t(label),
                           text=[f"{v:.1f}" for v in series[key]], cliponaxis=False,
                           textposition=["top center" if a else "bottom center" for a in above],
                           line=dict(width=3, color=COLORS[2 + i]), marker=dict(size=11)))
    layout = dict(
        xaxis=dict(title=dict(text=t("train.epoch_x")), dtick=1, range=[0.5, max(x, default=1) + 0.5]),
        yaxis=dict(title=dict(text=t("train.acc_y")), range=[0, ACCURACY_TOP],
                   tickvals=list(range(0, 101, 20))),
        legend=dict(orientation="h", y=-0.25))
    return figure(traces, layout, t("train.acc_title"), 420, bottom=110)
