"""Figures for slides: every figure downloads as SVG and as PNG at twice its size on screen, with a
caption line naming the model, its changed hyperparameters, its input and, where trained weights are
used, their dataset and accuracy, in the page's language. Plotly figures are exported by the page's
own Plotly (in the browser: nothing is rendered on the server), their SVG with the page's font in it;
the graph by Graphviz on the server, its SVG's text as outlines."""
from __future__ import annotations

import contextlib
import logging

import streamlit as st

from app import services

from .i18n import t
from .numbers import shape

logger = logging.getLogger(__name__)

# One pair of buttons under a chart: they find the chart by its key in the page, and download a copy
# of it with the caption added below (the chart on the page is not touched).
_BUTTONS = st.components.v2.component("cnn_explorer.figure_downloads", isolate_styles=False, css="""
.figure-downloads button { margin: 0 .4rem .4rem 0; padding: .15rem .7rem; font-size: .9rem;
  border: 1px solid rgba(49, 51, 63, .3); border-radius: .4rem; background: white; cursor: pointer; }
""", js=r"""
export default function ({ data, parentElement }) {
  let bar = parentElement.querySelector(".figure-downloads");
  if (!bar) {
    bar = document.createElement("div");
    bar.className = "figure-downloads";
    parentElement.appendChild(bar);
  }
  bar.innerHTML = "";
  for (const format of ["svg", "png"]) {
    const button = document.createElement("button");
    button.textContent = data.labels[format];
    button.dataset.format = format;
    button.onclick = () => download(data, format);
    bar.appendChild(button);
  }
}

function download(data, format) {
  const gd = document.querySelector(`.st-key-${data.chart} .js-plotly-plot`);
  if (!gd || !window.Plotly) return;
  const size = gd._fullLayout, extra = 36 + 8 * (data.caption.length > 140);
  const margin = {...(gd.layout.margin || {}), b: size.margin.b + extra};
  // Plotly reads a few HTML tags in text: the caption's own characters are shown as they are.
  const text = data.caption.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const caption = {text, xref: "paper", yref: "paper", x: 0, y: 0, xanchor: "left",
                   yanchor: "top", yshift: -size.margin.b, showarrow: false, align: "left",
                   font: {size: 14, color: "#333"}};
  const layout = {...gd.layout, margin, annotations: [...(gd.layout.annotations || []), caption]};
  window.Plotly.toImage({data: gd.data, layout}, {
    format, width: size.width, height: size.height + extra, scale: format === "png" ? 2 : 1,
  }).then((url) => format === "svg" ? withFont(url) : url).then((url) => {
    const link = document.createElement("a");
    link.href = url;
    link.download = `${data.filename}.${format}`;
    link.click();
  });
}

// The SVG's text is set in the page's Source Sans: its @font-face (Streamlit's own file) goes into the
// SVG as data, so the file draws its Latin text alike on a machine without that font.
let fontFace = null;

async function withFont(url) {
  fontFace = fontFace || sourceSans();
  const css = await fontFace;
  const comma = url.indexOf(",");
  const svg = url.slice(0, comma).endsWith(";base64") ? atob(url.slice(comma + 1))
    : decodeURIComponent(url.slice(comma + 1));
  const start = svg.indexOf(">", svg.indexOf("<svg")) + 1;
  const embedded = svg.slice(0, start) + `<style>${css}</style>` + svg.slice(start);
  return URL.createObjectURL(new Blob([embedded], {type: "image/svg+xml"}));
}

async function sourceSans() {
  for (const sheet of document.styleSheets) {
    let rules;
    try { rules = sheet.cssRules; } catch { continue; }  // another origin's sheet
    for (const rule of rules) {
      const style = rule.style;
      if (!(rule instanceof CSSFontFaceRule) || style.getPropertyValue("font-family").replace(/["']/g, "")
          !== "Source Sans" || style.getPropertyValue("font-style") === "italic") continue;
      const src = /url\(["']?([^"')]+)/.exec(style.getPropertyValue("src"))[1];
      const file = await fetch(new URL(src, sheet.href || location.href));
      const bytes = new Uint8Array(await file.arrayBuffer());
      let binary = "";
      for (let i = 0; i < bytes.length; i += 32768) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 32768));
      }
      return `@font-face{font-family:"Source Sans";font-weight:100 900;font-style:normal;` +
             `src:url(data:font/woff2;base64,${btoa(binary)}) format("woff2")}`;
    }
  }
  return "";  // not found: the file names the font, as before
}
""")


def caption(model: dict, changes: dict, weights: dict | None = None) -> str:
    """`model`'s name, the hyperparameters changed from its preset, its input (where `model` has one),
    and (`weights`: a checkpoint's info) the dataset it was trained on and its test accuracy."""
    parts = [model["name"].rstrip("*")]
    if changes:
        parts.append(", ".join(f"{name} = {value}" for name, value in changes.items()))
    if "input_shape" in model:
        parts.append(t("slides.input", shape=shape(model["input_shape"])))
    if weights and weights.get("test_accuracy") is not None:
        parts.append(t("slides.weights", dataset=weights["dataset"],
                       accuracy=f"{weights['test_accuracy']:.3f}"))
    elif weights:  # a state_dict without metadata: its dataset and accuracy are unknown
        parts.append(t("slides.weights_unknown", file=weights["name"]))
    return " · ".join(parts)


def chart_downloads(chart_key: str, caption_text: str, stem: str, where=None) -> None:
    """SVG and PNG (2×) buttons for the plotly chart drawn with key `chart_key` just above (in the
    container `where`, e.g. a column, when it is not the page's main area)."""
    with where if where is not None else contextlib.nullcontext():
        _BUTTONS(data={"chart": chart_key.replace(".", "-"), "caption": caption_text, "filename": stem,
                       "labels": {"svg": t("slides.svg"), "png": t("slides.png")}},
                 key=f"{chart_key}.downloads")


def checkpoint_caption(info: dict) -> str:
    """caption() of a checkpoint's network at its input, with its weights."""
    return caption({"name": info["arch"], "input_shape": info["input_shape"]}, {}, info)


def graph_downloads(dot: str, caption_text: str, stem: str, columns) -> None:
    """The graph as slide files (services.dot_slide), laid out again with the caption as its label
    when a button is pressed."""
    captioned = with_caption(dot, caption_text)
    for column, fmt, mime in zip(columns, ("svg", "png"), ("image/svg+xml", "image/png"), strict=True):
        column.download_button(t(f"slides.graph_{fmt}"), lambda fmt=fmt: _slide(captioned, fmt),
                               file_name=f"{stem}.{fmt}", mime=mime, key=f"explore.slide_{fmt}",
                               on_click="ignore")


def with_caption(dot: str, caption_text: str) -> str:
    """The DOT with `caption_text` as the graph's label, under the drawing (it replaces the title: the
    caption names the model)."""
    escaped = caption_text.replace("\\", "\\\\").replace('"', '\\"')
    return dot[:dot.rindex("}")] + f'  label="{escaped}"; labelloc=b; fontsize=16;\n}}\n'


def _slide(dot: str, fmt: str) -> bytes:
    """Made when the button is pressed. The same graph was laid out for the page within the deadline,
    so a refusal here means the server's layouts are all busy: the file is then empty (and logged),
    since a download cannot show a message."""
    try:
        return services.dot_slide(dot, fmt)
    except services.LayoutRefused as refused:
        logger.warning("a %s slide of a graph was refused: %s", fmt, refused)
        return b""
