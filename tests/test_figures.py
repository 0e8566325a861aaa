"""Figures as the web process builds them: one dict validated once, kept for revisits in bounded space
and per language."""
import plotly.graph_objects as go

from app.components import charts, i18n

BARS = (["resnet50", "densenet121"], [25.557032, 7.978856], "Parameters (M)")


def test_a_figure_is_kept_for_the_same_arguments_and_rebuilt_for_others():
    first = charts.bars_figure(*BARS)
    assert isinstance(first, go.Figure) and charts.bars_figure(*BARS) is first
    other = charts.bars_figure(BARS[0], [25.557032, 8.0], BARS[2])
    assert other is not first and list(other.data[0].y) == [25.557032, 8.0]


def test_a_kept_figure_is_per_language(monkeypatch):
    english = charts.bars_figure(*BARS)
    for module in (i18n, charts):
        monkeypatch.setattr(module, "language", lambda: "zh")
    chinese = charts.bars_figure(*BARS)
    assert chinese is not english
    assert chinese.layout.title.text == i18n.STRINGS["compare.bars_title"][1].format(metric=BARS[2])
    assert english.layout.title.text == i18n.STRINGS["compare.bars_title"][0].format(metric=BARS[2])


def test_kept_figures_are_bounded():
    for i in range(charts.FIGURES_KEPT + 10):
        charts.bars_figure(["a"], [float(i)], "x")
    assert len(charts._kept) == charts.FIGURES_KEPT
    first = charts.bars_figure(["a"], [0.0], "x")  # the oldest went: built again
    assert list(first.data[0].y) == [0.0] and len(charts._kept) == charts.FIGURES_KEPT


def test_the_style_is_laid_under_the_figure_s_own_layout():
    fig = charts.figure([], {"margin": {"t": 130}, "legend": {"orientation": "h"}}, "T", 400)
    assert (fig.layout.margin.t, fig.layout.margin.l) == (130, 70)  # the figure's wins, the rest stays
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.font.size == charts.FONT - 1
    assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white, Plotly's default here
