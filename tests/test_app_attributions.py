"""AppTest of the Attributions page (predictions equal core's, method picker, image upload) and the
image decoding behind the upload."""
import io
import re

import numpy as np
import pytest
from app_support import errors, figure, plotted, start, uploader, widget
from conftest import shipped
from PIL import Image, ImageFile

from app import services
from core.attribution import predict
from core.checkpoints import load_checkpoint
from core.data import FASHION_CLASSES, PACKAGED_FASHION_MNIST, fashion_mnist_test, fit_images, load_digits

ATTRIBUTIONS = "views/attributions.py"


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def titles(at, index: int = 0) -> list[str]:
    return [a["text"] for a in figure(at, index)["layout"]["annotations"]]


def test_gallery_predictions_equal_cores():
    """The default checkpoint's own test set (Fashion-MNIST's class names where it was trained on
    it), the first image of each class, predicted as core predicts."""
    at = start(page=ATTRIBUTIONS)
    assert not errors(at)
    checkpoint = load_checkpoint(shipped("densenet_fig5"))
    if checkpoint.metadata["dataset"] == "fashion-mnist":
        images, labels = fashion_mnist_test(PACKAGED_FASHION_MNIST)
        classes = list(FASHION_CLASSES)
    else:
        data = load_digits()
        images, labels, classes = data.test_x, data.test_y, [str(c) for c in range(10)]
    picks = [next(i for i, y in enumerate(labels.tolist()) if y == c) for c in range(10)]
    side = checkpoint.config.input_size if hasattr(checkpoint.config, "input_size") else images.shape[-1]
    predicted, confidences = predict(checkpoint.model(), fit_images(images[picks], side, 1))
    assert titles(at) == [f"predicted {classes[p]} ({c:.1%})<br>true {classes[y]}"
                          for p, c, y in zip(predicted.tolist(), confidences.tolist(), range(10),
                                             strict=True)]
    assert at.query_params["method"] == "integrated_gradients"


def test_method_picker_and_upload():
    at = start({"method": "grad_cam"}, page=ATTRIBUTIONS)
    assert "Grad-CAM" in figure(at)["layout"]["title"]["text"]
    widget(at, "attr.method").set_value("Saliency (|gradient|)").run()
    assert at.query_params["method"] == "saliency"
    digit = Image.new("L", (32, 32), 255)
    digit.paste(0, (12, 4, 20, 28))  # a dark "1" on white paper
    uploader(at, "attr.image").set_value(("one.png", png(digit), "image/png")).run()
    assert not at.exception and not errors(at)
    # the gallery, the upload, and the upload inside the network: its stages and its effective field
    assert [c.key for c in at.get("plotly_chart")] == ["attr.figure5", "attr.figure1", "fmap.figure",
                                                       "fmap.erf"]
    assert widget(at, "fmap.image").options[0] == "your uploaded image"
    assert any("inverted" in c.value for c in at.caption)
    uploader(at, "attr.image").set_value(("bad.png", b"not an image", "image/png")).run()
    assert not at.exception
    assert "not an image this server can read" in errors(at)[0]


def test_an_image_past_its_cap_is_refused_and_its_uploader_replaced():
    """A client that skips the browser's size check sends a 20 MB "image": it is refused with the cap
    named, and a fresh, empty uploader replaces the one holding its bytes."""
    from app.views.attributions import IMAGE_MAX_MB
    at = start(page=ATTRIBUTIONS)
    uploader(at, "attr.image").set_value(("big.png", bytes(20 * 2**20), "image/png")).run()
    assert not at.exception
    assert errors(at) == [f"This image is 20 MB; images up to {IMAGE_MAX_MB} MB are accepted (a photo or "
                          "a drawing is far smaller): save it smaller and upload it again."]
    fresh = uploader(at, "attr.image")
    assert fresh.key == "attr.image.1" and fresh.value is None
    assert [c.key for c in at.get("plotly_chart")] == ["attr.figure5", "fmap.figure", "fmap.erf"]
    assert "your uploaded image" not in widget(at, "fmap.image").options


@pytest.mark.parametrize("mode, channels", [("RGBA", 1), ("P", 1), ("I;16", 1), ("L", 3), ("CMYK", 3)])
def test_decode_converts_any_mode_to_the_models_channels(mode, channels):
    pixels, note = services.decode_image(png(Image.new(mode, (20, 30))) if mode != "CMYK" else
                                         _jpeg(Image.new(mode, (20, 30))), channels, 8)
    assert pixels.shape == (channels, 8, 8) and pixels.dtype == np.float32
    assert 0 <= pixels.min() <= pixels.max() <= 1 and note["size"] == "20×30"


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def test_decode_rejects_corrupt_and_huge_images():
    with pytest.raises(services.ImageError, match="not an image"):
        services.decode_image(png(Image.new("L", (8, 8)))[:40], 1, 8)
    with pytest.raises(services.ImageError, match="too large"):
        services.decode_image(png(Image.new("1", (5000, 4000))), 1, 8)


def png_with_text_bomb(chunk: bytes) -> bytes:
    """An 8×8 PNG holding 64 MiB of zeros deflated into one text (zTXt) or colour-profile (iCCP) chunk
    of about 65 KB: PIL refuses to decompress it with a ValueError, not an OSError."""
    import struct
    import zlib
    data = png(Image.new("L", (8, 8)))
    body = (b"Comment\0\0" if chunk == b"zTXt" else b"icc\0\0") + zlib.compress(b"\0" * 2**26, 9)
    piece = struct.pack(">I", len(body)) + chunk + body + struct.pack(">I", zlib.crc32(chunk + body))
    at = data.index(b"IDAT") - 4
    return data[:at] + piece + data[at:]


@pytest.mark.parametrize("chunk", [b"zTXt", b"iCCP"])
def test_an_image_with_a_decompression_bomb_in_a_chunk_gets_the_pages_message(chunk):
    data = png_with_text_bomb(chunk)
    assert len(data) < 100_000
    with pytest.raises(services.ImageError, match="not an image this server can read"):
        services.decode_image(data, 1, 8)


def test_a_huge_image_is_refused_from_its_header_before_it_is_decoded(monkeypatch):
    """A 0.5 MB PNG of 13000×13000 decoded to 595 MB before the pixel check."""
    data = png(Image.new("1", (5000, 4000)))
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self) or None)
    with pytest.raises(services.ImageError, match="too large"):
        services.decode_image(data, 1, 8)
    assert not decoded


@pytest.mark.parametrize("method", ["integrated_gradients", "saliency", "grad_cam"])
def test_maps_show_their_colour_bar_colours_and_keep_the_images_aspect(method):
    """A map blended over its image would not have its colour bar's colours; the outline is a line."""
    at = start({"method": method}, page=ATTRIBUTIONS)
    fig = figure(at)
    maps = [trace for trace in fig["data"] if trace["type"] == "heatmap" and trace.get("zmax") == 1
            and trace["colorscale"] != figure(at)["data"][0]["colorscale"]]
    assert len(maps) == 10 and sum(bool(m.get("showscale")) for m in maps) == 1
    assert all(m.get("opacity", 1) == 1 and m["zmin"] == 0 for m in maps)
    peaks = [plotted(m["z"]).max() for m in maps]  # 1 = the image's strongest pixel; 0: nothing found
    assert all(peak == pytest.approx(1) or peak == 0 for peak in peaks)
    empty = sum(peak == 0 for peak in peaks)
    assert any(f"in {empty} of these images" in c.value for c in at.caption) == (empty > 0)
    outlines = [trace for trace in fig["data"] if trace["type"] == "contour"]
    assert len(outlines) == 10 and all(o["contours"]["coloring"] == "none" for o in outlines)
    assert not any(o.get("showlegend", True) for o in outlines)  # ten legend entries covered the bar
    axes = {name: axis for name, axis in fig["layout"].items() if name.startswith("yaxis")}
    assert len(axes) == 20
    assert all(axis["scaleanchor"] == name.replace("yaxis", "x") for name, axis in axes.items())


@pytest.mark.skipif(not PACKAGED_FASHION_MNIST.is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed (make test installs it)")
def test_a_fashion_mnist_checkpoint_is_explained_on_fashion_mnist_test_images(tmp_path):
    import core
    from core.checkpoints import save_checkpoint
    from core.data import fashion_mnist_test
    config = core.get_config("densenet40_k12", block_config=(2, 2, 2), in_channels=1, num_classes=10)
    path = tmp_path / "fashion.safetensors"
    save_checkpoint(path, core.build_model(config), config, "fashion-mnist", 1, 0.5, input_shape=(1, 28, 28))
    at = start(page=ATTRIBUTIONS)
    uploader(at, "ckpt.upload").set_value(("fashion.safetensors", path.read_bytes(),
                                            "application/octet-stream")).run()
    assert not at.exception and not errors(at)
    images = [trace for trace in figure(at)["data"] if trace["type"] == "heatmap"][0]
    shown = plotted(images["z"])
    test_x, test_y = fashion_mnist_test()
    first = test_x[test_y.tolist().index(0), 0].numpy()
    assert shown.size == 28 * 28 and np.allclose(shown, first.ravel(), atol=1e-6)  # the image itself
    assert titles(at)[0].endswith("<br>true T-shirt/top")
    assert any("fashion-mnist" in s.value for s in at.subheader)


def test_every_fashion_mnist_class_has_a_chinese_name():
    from app.components.i18n import CATALOGUES
    from core.data import FASHION_CLASSES
    chinese = {key.removeprefix("class."): text for key, text in CATALOGUES["zh"].items()
               if key.startswith("class.")}
    assert set(chinese) == set(FASHION_CLASSES) and len(set(chinese.values())) == 10
    assert all(name != chinese[name] for name in FASHION_CLASSES)  # translated, not the English kept


def test_inside_the_network_shows_each_stage_of_the_chosen_image():
    """The first test image through the default checkpoint: at each stage its top channels on one
    colour scale, titled by the stage, its output shape and value range; the prediction equals the
    gallery's for that image."""
    at = start(page=ATTRIBUTIONS)
    charts = len(at.get("plotly_chart"))
    stages = widget(at, "fmap.point")
    assert list(stages.options)[:3] == ["features.conv0", "features.denseblock1", "features.transition1"]
    maps = figure(at, charts - 2)  # the last is the effective field
    title = maps["layout"]["title"]["text"]
    assert re.fullmatch(r"After features\.conv0: output \d+×28×28, values -?[\d.e+-]+ to -?[\d.e+-]+; its 8 "
                        r"channels of largest mean activation", title), title
    assert len(maps["data"]) == 8 and {d["coloraxis"] for d in maps["data"]} == {"coloraxis"}
    scale = maps["layout"]["coloraxis"]
    values = np.concatenate([plotted(d["z"]) for d in maps["data"]])
    assert scale["cmin"] == values.min() and scale["cmax"] == values.max()  # one scale, what is shown
    assert scale["colorbar"]["title"]["text"] == "activation (one scale for every panel)"
    first = titles(at)[0]  # "predicted {class} ({p})<br>true ..."
    label, probability = re.match(r"predicted (.+) \(([\d.]+%)\)", first).groups()
    assert f"At the end: **{label}**, probability {probability}." in [m.value for m in at.markdown]
    stages.set_value("features.transition1").run()
    assert figure(at, charts - 2)["layout"]["title"]["text"].startswith("After features.transition1: output ")
    # any layer on request: the 3×3 convolution of the second dense layer reads its block's 40 channels
    # and writes k = 12
    widget(at, "fmap.every").set_value(True).run()
    assert "features.denseblock1.denselayer2.conv1" in widget(at, "fmap.point").options
    widget(at, "fmap.point").set_value("features.denseblock1.denselayer2.conv1").run()
    assert not at.exception and not errors(at)
    assert figure(at, charts - 2)["layout"]["title"]["text"].startswith(
        "After features.denseblock1.denselayer2.conv1: output 12×28×28")
    zh = start({"lang": "zh"}, page=ATTRIBUTIONS)
    assert figure(zh, len(zh.get("plotly_chart")) - 2)["layout"]["title"]["text"].startswith(
        "features.conv0 之后：输出 ")


def test_the_effective_field_is_drawn_beside_its_theoretical_square():
    """At a late stage of the Fig. 5 network (28×28 Fashion-MNIST), the theoretical square is far larger
    than the image and is drawn so, around the output's centre; the caption states the same figures."""
    at = start(page=ATTRIBUTIONS)
    widget(at, "fmap.point").set_value("features.denseblock3").run()
    drawn = figure(at, len(at.get("plotly_chart")) - 1)
    assert drawn["layout"]["title"]["text"] == ("How far one output of features.denseblock3 sees: position "
                                                "(3, 3) of its 7×7 map")
    square = drawn["layout"]["shapes"][0]
    size = square["x1"] - square["x0"]
    assert size == square["y1"] - square["y0"] > 28
    assert drawn["layout"]["xaxis"]["range"] == [square["x0"], square["x1"]]  # the whole square shows
    assert f"its theoretical receptive field, {size:.0f}×{size:.0f} pixels (the image is 28×28" \
        in at.caption[-1].value
    assert len(plotted(drawn["data"][1]["z"])) == 28 * 28 and plotted(drawn["data"][1]["z"]).max() == 1
