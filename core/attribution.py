"""Captum attributions: Integrated Gradients, Saliency and Grad-CAM maps for any model, and an
attribution-based DenseNet connection strength to set beside the weight-based one.

Captum registers hooks for each call and removes them itself, also when the call raises; the tests
check that no hook is left behind on any module.
"""
from __future__ import annotations

import torch
from captum.attr import (
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    LayerGradientXActivation,
    Saliency,
)

from . import budget
from .checkpoints import CheckpointError
from .memory import step_bytes

METHODS = ("integrated_gradients", "saliency", "grad_cam")
IG_STEPS = 32  # points on Integrated Gradients' path: one image's path is one batch


def check_budget(config, count: int, input_shape, method: str | None) -> None:
    """Refuse, before a model is built, attributions whose forward and backward pass would exceed
    the job budget (a checkpoint's metadata can ask for LeNet at 1024² with 64 channels). `method`
    None: the connection-strength attribution (one pass over the images)."""
    batch = IG_STEPS if method == "integrated_gradients" else count
    budget.check(f"attributions for {count} images of {'×'.join(map(str, input_shape))}",
                 step_bytes(config, batch, input_shape, optimizer=None),
                 "use a checkpoint trained at a smaller input size")
EXPLANATIONS = {
    "weights": "Weight-based strength (the paper's Fig. 5): the mean absolute weight a layer's first "
               "convolution gives to the channels coming from each earlier layer. It describes the "
               "trained network itself, whatever the input.",
    "attribution": "Attribution-based strength: for the given images, |gradient × activation| at the "
                   "input of each layer, averaged over the channels of each source (as the weight map "
                   "averages over input maps), as a share of that layer's total. It shows how much of "
                   "the evidence for the predicted class flows through each connection for these "
                   "inputs.",
}


def gradcam_layer(model: torch.nn.Module) -> torch.nn.Module:
    """The last block (dense, residual, inception, ...) or, failing that, the last convolution."""
    blocks = [m for m in model.modules() if getattr(type(m), "graph_block", None)
              and type(m).graph_block not in ("dense layer", "transition")]
    if blocks:
        return blocks[-1]
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    return convs[-1]


def predict(model: torch.nn.Module, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        probs = model(images).softmax(1)
    confidence, label = probs.max(1)
    return label, confidence


def attribute(model: torch.nn.Module, images: torch.Tensor, method: str,
              target: torch.Tensor | None = None) -> torch.Tensor:
    """(N, H, W) maps, non-negative, one per image, for the target (default: predicted) class."""
    if method not in METHODS:
        raise CheckpointError(f"attribution method {method!r} is unknown: use one of "
                              f"{', '.join(METHODS)}")
    model.eval()
    images = images.clone().requires_grad_(True)
    if target is None:
        target = predict(model, images.detach())[0]
    if method == "integrated_gradients":
        attr = IntegratedGradients(model).attribute(images, baselines=images.detach() * 0,
                                                    target=target, n_steps=IG_STEPS,
                                                    # one image's path at a time: 10 Fashion-MNIST
                                                    # images' paths at once needed 4.4 GB
                                                    internal_batch_size=IG_STEPS)
        return attr.abs().sum(1).detach()
    if method == "saliency":
        return Saliency(model).attribute(images, target=target, abs=True).amax(1).detach()
    cam = LayerGradCam(model, gradcam_layer(model)).attribute(images, target=target,
                                                               relu_attributions=True)
    return LayerAttribution.interpolate(cam, tuple(images.shape[2:]), "bilinear").squeeze(1).detach()


def attribution_strength(model: torch.nn.Module, images: torch.Tensor,
                         target: torch.Tensor | None = None) -> dict:
    """Per dense block, each source's share of the per-channel mean |gradient × activation| at every
    layer's input (same rows, columns and shape as connectivity.connection_strength)."""
    plans = getattr(model, "layout", None)  # a DenseNet's blocks (core/architectures/densenet_layout.py)
    if not plans:
        raise CheckpointError("heatmap applies to DenseNets; this model is a "
                              f"{type(model).__name__}")
    features = model.features
    # (block, target's name, the module whose input is the block's concatenation so far, and for a
    # one-shot layer after the first the one source it reads)
    columns = []
    for plan in plans:
        layers = features.get_submodule(f"denseblock{plan.index}").values()
        columns += [(plan, f"layer {i}", layer.norm1, i - 1 if plan.one_shot and i > 1 else None)
                    for i, layer in enumerate(layers, start=1)]
        columns.append((plan, f"transition {plan.index}",
                        features.get_submodule(f"transition{plan.index}").norm, None) if plan.transition
                       else (plan, "classifier", features.norm5, None))
    model.eval()
    if target is None:
        target = predict(model, images)[0]
    attrs = LayerGradientXActivation(model, [module for _, _, module, _ in columns]).attribute(
        images, target=target, attribute_to_layer_input=True)
    blocks = []
    for plan in plans:
        rows = plan.layers + 1
        matrix_cols, targets = [], []
        for (owner, name, _, one_source), attr in zip(columns, attrs):
            if owner is not plan:
                continue
            targets.append(name)
            if one_source is not None:
                # a one-shot layer reads only the layer before it: its whole share comes from there
                matrix_cols.append([1.0 if s == one_source else None for s in range(rows)])
                continue
            attr = attr[0] if isinstance(attr, tuple) else attr
            per_channel = attr.detach().abs().double().sum(dim=(0, 2, 3))
            # Per-channel mean, as in the weight map: a wide block input (k0 maps) must not win
            # just by having more channels than a layer's k new ones.
            shares = [float(per_channel[sl].mean())
                      for sl in plan.sources(1 + (per_channel.numel() - plan.k0) // plan.growth_rate)]
            total = sum(shares) or 1.0
            matrix_cols.append([v / total for v in shares] + [None] * (rows - len(shares)))
        blocks.append(dict(name=f"dense block {plan.index}", k0=plan.k0, growth_rate=plan.growth_rate,
                           sources=["block input"] + [f"layer {s}" for s in range(1, rows)],
                           targets=targets,
                           matrix=[[col[s] for col in matrix_cols] for s in range(rows)]))
    return {"normalize": "share", "blocks": blocks}
