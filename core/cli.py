"""`python -m core COMMAND`: the command-line face of the core (its contract: docs/architecture.md
§ Command line)."""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

from .analysis import analyze
from .analysis.channels import channel_growth
from .analysis.graph import build_graph
from .errors import ConfigError
from .export import FORMATS, export
from .registry import FAMILIES, PRESETS, default_input, resolve
from .render import to_dot


def parse_sets(pairs: list[str] | None) -> dict:
    overrides = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError("set", f"--set {pair!r} is not KEY=VALUE: write e.g. "
                                     "--set growth_rate=12 or --set block_config=6,12,24,16")
        overrides[key.strip()] = value.strip()
    return overrides


def parse_input(text: str | None):
    if text is None:
        return None
    try:
        shape = tuple(int(v) for v in text.split(","))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise ConfigError("input_shape", f"--input {text!r} is not C,H,W: write three positive "
                                         "integers such as 3,224,224")
    return shape


def _fmt(n: int) -> str:
    return f"{n:,}"


def cmd_list(args) -> None:
    rows = [dict(name=p.name, family=p.family, source=p.source, description=p.description,
                 input_shape=list(default_input(p.name))) for p in PRESETS.values()]
    if args.json:
        print(json.dumps({"presets": rows, "families": list(FAMILIES)}, indent=1))
        return
    for r in rows:
        print(f"{r['name']:22s} {r['family']:10s} {r['source']:12s} {r['description']}")


def cmd_summary(args) -> None:
    a = analyze(args.name, parse_input(args.input), args.batch, **parse_sets(args.set))
    if args.json:
        result = a.to_dict()
        result["channels"] = channel_growth(a.trace)
        print(json.dumps(result))
        return
    print(f"{'layer':48s} {'type':18s} {'output':>18s} {'params':>12s} {'MACs':>16s} {'field px':>11s} "
          f"{'jump px':>7s}")
    for row in a.layers:
        shape = "×".join(map(str, row["output_shape"]))
        field = row["receptive_field"] if isinstance(row["receptive_field"], str) else \
            _fmt(row["receptive_field"])
        jump = "" if row["jump"] is None else _fmt(row["jump"])
        print(f"{row['name'][:48]:48s} {row['type'][:18]:18s} {shape:>18s} "
              f"{_fmt(row['params']):>12s} {_fmt(row['macs']):>16s} {field:>11s} {jump:>7s}")
    d = a.to_dict()
    print(f"\n{d['name']}: input {'×'.join(map(str, d['input_shape']))} (batch {d['batch']})")
    print(f"  parameters  {_fmt(d['total_params'])} (trainable {_fmt(d['trainable_params'])})")
    print(f"  MACs        {_fmt(d['macs'])}  (multiply-accumulates of conv + linear layers)")
    print(f"  FLOPs       {_fmt(d['flops'])}  (2 per MAC)")
    print(f"  element-ops {_fmt(d['elementwise_ops'])}  (outputs of BN, activations, pooling, "
          "cat, add; not in FLOPs)")


def cmd_graph(args) -> None:
    a = analyze(args.name, parse_input(args.input), **parse_sets(args.set))
    graph = build_graph(a.trace, args.level, args.expand)
    print(json.dumps(graph) if args.format == "json" else to_dot(graph, title=a.name), end="\n")


def cmd_compare(args) -> None:
    shape = parse_input(args.input)
    rows = []
    for name in args.names:
        d = analyze(name, shape).to_dict()
        rows.append({k: d[k] for k in ("name", "family", "input_shape", "total_params",
                                       "trainable_params", "macs", "flops", "depth")})
    if args.json:
        print(json.dumps({"models": rows}))
        return
    print(f"{'model':22s} {'input':>12s} {'params':>14s} {'MACs':>18s} {'depth':>6s}")
    for r in rows:
        print(f"{r['name']:22s} {'×'.join(map(str, r['input_shape'])):>12s} "
              f"{_fmt(r['total_params']):>14s} {_fmt(r['macs']):>18s} {r['depth']:>6d}")


def cmd_export(args) -> None:
    overrides = parse_sets(args.set)
    resolve(args.name, **overrides)  # validate before touching the output file
    data = export(args.name, args.format, parse_input(args.input), **overrides)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(args.out, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
        f.write(data)
    print(f"wrote {args.out} ({args.format})", file=sys.stderr)


def cmd_train(args) -> None:
    from tqdm import tqdm

    from .train import TrainSettings, train
    settings = TrainSettings(dataset=args.dataset, train_size=args.train_size, epochs=args.epochs,
                             batch_size=args.batch_size,
                             optimizer=args.optimizer, lr=args.lr, seed=args.seed,
                             input_size=args.input_size, device=args.device,
                             precision=args.precision, compile=args.compile)
    out = args.out or args.resume or f"{args.name}-{args.dataset.split(':')[0]}.safetensors"
    primary = os.environ.get("RANK", "0") == "0"  # under torchrun only process 0 reports
    bar = tqdm(total=args.epochs, unit="epoch", file=sys.stderr, disable=not primary)

    def progress(event):
        if event["kind"] == "start":
            bar.reset(total=event["epochs"])
            bar.update(event["first_epoch"] - 1)
            bar.write(f"precision: {event['reason']}", file=sys.stderr)  # stdout: the JSON only
        elif event["kind"] == "epoch":
            bar.update(1)
            bar.set_postfix(loss=f"{event['train_loss']:.3f}", test_acc=f"{event['test_accuracy']:.3f}")

    try:
        result = train(args.name, settings, out=out, on_progress=progress, resume_from=args.resume,
                       **parse_sets(args.set))
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted: {out} holds the last completed epoch", file=sys.stderr)
        raise SystemExit(130) from None
    bar.close()
    if primary:
        print(json.dumps({"out": out, "epochs": len(result.history), "precision": result.precision,
                          "test_accuracy": result.test_accuracy, "history": result.history}))


def cmd_heatmap(args) -> None:
    from .checkpoints import load_checkpoint
    from .connectivity import connection_strength
    # The app's loading path: the weights are checked against the architecture first.
    checkpoint = load_checkpoint(args.checkpoint)
    result = connection_strength(checkpoint.state_dict, args.normalize, checkpoint.metadata)
    if args.json:
        print(json.dumps(result))
        return
    for block in result["blocks"]:
        print(f"{block['name']} (k0={block['k0']}, k={block['growth_rate']}); rows = sources, "
              f"columns = {', '.join(block['targets'])}")
        for source, row in zip(block["sources"], block["matrix"]):
            cells = " ".join("   .  " if v is None else f"{v:6.3f}" for v in row)
            print(f"  {source:12s} {cells}")


def cmd_features(args) -> None:
    from .checkpoints import load_checkpoint
    from .feature_maps import inside, layers
    from .images import read_image, write_map
    checkpoint = load_checkpoint(args.checkpoint)
    shape = tuple(checkpoint.input_shape)
    image, done = read_image(args.image, shape[0], shape[1])
    if args.layer is not None and args.layer not in layers(checkpoint.config, shape):
        raise ConfigError("layer", f"--layer {args.layer!r} is not a layer of this network with a feature "
                                   f"map; its layers: {', '.join(layers(checkpoint.config, shape))}")
    result = inside(checkpoint.model(), checkpoint.config, image, args.layer)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_map(out / "input.png", image[0].mean(0).numpy(), 0.0, 1.0)
    summary = {"checkpoint": pathlib.Path(args.checkpoint).name,
               "image": {**done, "input_shape": list(shape)},
               "label": result["label"], "probability": result["probability"], "points": []}
    for i, point in enumerate(result["points"]):
        low = min(float(c["map"].min()) for c in point["channels"])
        high = max(float(c["map"].max()) for c in point["channels"])
        files = []
        for channel in point["channels"]:
            name = f"{i:02d}-{point['name'].replace('.', '_')}-c{channel['channel']}.png"
            write_map(out / name, channel["map"], low, high)
            files.append({"file": name, "channel": channel["channel"], "mean": channel["mean"]})
        summary["points"].append({"name": point["name"], "shape": point["shape"], "min": point["min"],
                                  "max": point["max"], "scale": [low, high], "channels": files})
    (out / "features.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(f"wrote {sum(len(p['channels']) for p in summary['points'])} maps of "
          f"{len(summary['points'])} layers and features.json to {out}", file=sys.stderr)
    print(json.dumps(summary))


def cmd_memory(args) -> None:
    import torch

    from . import memory
    overrides = parse_sets(args.set)
    if args.efficient:
        overrides["memory_efficient"] = "true"
    shape = parse_input(args.input)
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    report = memory.measure_cuda(args.name, args.batch, shape, args.dtype, args.optimizer,
                                 **overrides) if use_cuda else \
        memory.estimate(args.name, args.batch, shape, args.dtype, args.optimizer, **overrides)
    d = report.to_dict()
    if args.json:
        print(json.dumps(d))
        return
    print(f"{args.name}: {d['kind']} on {d['device']}, {d['dtype']}, batch {d['batch']}, "
          f"input {'×'.join(map(str, d['input_shape']))}, optimizer {args.optimizer}")
    for key in ("parameters", "gradients", "optimizer_state", "activations", "workspace", "peak"):
        print(f"  {key.replace('_', ' '):16s} {d[key + '_mib']:10.1f} MiB")
    if d["examples_per_second"]:
        print(f"  step {d['step_seconds'] * 1e3:.1f} ms, {d['examples_per_second']:.0f} examples/s")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core",
                                     description="CNN Architecture Explorer: model zoo and analysis")
    sub = parser.add_subparsers(dest="command", required=True)

    def model_args(p, batch=False):
        p.add_argument("name", help="preset or family name (see `list`)")
        p.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a config field, e.g. growth_rate=12 or block_config=6,12,24")
        p.add_argument("--input", metavar="C,H,W", help="input shape (default: the preset's)")
        if batch:
            p.add_argument("--batch", type=int, default=1, help="batch size (default 1)")

    p = sub.add_parser("list", help="list presets")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("summary", help="params, MACs, FLOPs and per-layer rows")
    model_args(p, batch=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)
    p = sub.add_parser("graph", help="connection graph as DOT or JSON")
    model_args(p)
    p.add_argument("--level", choices=("block", "layer"), default="block")
    p.add_argument("--expand", metavar="PATH", help="show the children of one block")
    p.add_argument("--format", choices=("dot", "json"), default="dot")
    p.set_defaults(func=cmd_graph)
    p = sub.add_parser("compare", help="compare several models")
    p.add_argument("names", nargs="+")
    p.add_argument("--input", metavar="C,H,W")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("train", help="train on a dataset and write a .safetensors checkpoint")
    model_args(p)
    from .data import default_dataset
    p.add_argument("--dataset", default=default_dataset(),
                   help="fashion-mnist (Debian's dataset-fashion-mnist; the default where installed) | "
                        "digits (the fallback) | fashion-mnist:DIR | cifar10:DIR")
    p.add_argument("--train-size", type=int, help="train on N images of the training set (default all)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", metavar="FILE", help="checkpoint path (default NAME-DATASET.safetensors)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    p.add_argument("--lr", type=float, help="default 0.1 (SGD) or 1e-3 (AdamW), cosine decay")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--input-size", type=int, help="train at this H = W (default: the dataset's)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="auto: bf16 autocast on CUDA and on CPUs with amx_bf16 or avx512_bf16, else fp32")
    p.add_argument("--compile", metavar="MODE", default="",
                   help="torch.compile the training step (e.g. default); pays on long runs only")
    p.add_argument("--resume", metavar="CKPT",
                   help="go on from a checkpoint this command wrote (its recipe, optimizer and "
                        "schedule); --epochs is the run's new total")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("heatmap", help="DenseNet connection strength (paper Fig. 5)")
    p.add_argument("checkpoint", help=".safetensors, or a .pt/.pth DenseNet state_dict")
    p.add_argument("--normalize", choices=("none", "target", "global"), default="none")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_heatmap)
    p = sub.add_parser("features", help="an image through a checkpoint's network: feature maps as PNGs")
    p.add_argument("checkpoint", help=".safetensors, or a .pt/.pth DenseNet state_dict")
    p.add_argument("--image", required=True, metavar="FILE", help="PNG, JPEG, BMP, GIF or WebP; resized "
                   "to the checkpoint's input, inverted if light on dark")
    p.add_argument("--layer", metavar="NAME", help="one layer (a module path, e.g. features.denseblock1."
                   "denselayer2.conv2); default: the output of every stage")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the PNGs and features.json")
    p.set_defaults(func=cmd_features)
    p = sub.add_parser("memory", help="training-step memory: measured on CUDA, else estimated")
    model_args(p)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto")
    p.add_argument("--dtype", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    p.add_argument("--efficient", action="store_true", help="memory-efficient DenseNet")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_memory)
    p = sub.add_parser("export", help="write code, dot, json or onnx")
    model_args(p)
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped reading (`| head`): nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '')}", file=sys.stderr)
        return 2
    return 0
