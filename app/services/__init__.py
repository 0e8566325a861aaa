"""The one place app/ asks for core's results: every function here returns plain data (dicts, lists,
str, numpy arrays) that the job engine's workers computed (app/engine/; the web process imports no
torch). Bad input never raises out of here; it comes back as ``{"error": {"field": ..., "message":
...}}`` for the page to place. By concern: analysis (model configs), checkpoints (checkpoints,
uploads, session folders), jobs (memory, GPU actions, training runs)."""
from app.collector import tune_collector

from .analysis import (
    BROWSER_LAYOUT_EDGES,
    DOT_TIMEOUT_S,
    LayoutRefused,
    architecture,
    benchmark_section,
    catalog,
    channels,
    dot_slide,
    dot_to_svg,
    export_onnx,
    export_text,
    graph,
    resolve,
    roofline,
    summary,
    svg_available,
    untrained_effective_field,
    untrained_feature_maps,
)
from .checkpoints import (
    ImageError,
    UploadRefused,
    attribution_heatmap,
    attributions,
    checkpoint_info,
    decode_image,
    effective_field,
    feature_maps,
    gallery,
    heatmap,
    paper_observations,
    remove_folders_of_stopped_servers,
    remove_upload,
    save_upload,
    session_folder,
    shipped_checkpoints,
    shipped_network,
    stamp,
)
from .jobs import (
    MemoryJob,
    TrainingRefused,
    TrainingRun,
    allowed_datasets,
    continue_training,
    dataset_spec,
    device_info,
    epoch_estimate,
    memory_cpu,
    memory_estimate,
    start_training,
    user_id,
)
from .session_watch import UNWATCHED_S

__all__ = [
    "BROWSER_LAYOUT_EDGES", "DOT_TIMEOUT_S", "ImageError", "LayoutRefused", "MemoryJob",
    "TrainingRefused", "TrainingRun", "UNWATCHED_S", "UploadRefused", "allowed_datasets",
    "architecture", "attribution_heatmap", "attributions", "continue_training", "dataset_spec",
    "epoch_estimate",
    "benchmark_section", "catalog", "channels", "checkpoint_info", "decode_image", "device_info",
    "dot_slide", "dot_to_svg", "effective_field", "export_onnx", "export_text", "feature_maps",
    "gallery", "graph",
    "heatmap", "memory_cpu",
    "memory_estimate", "paper_observations", "remove_folders_of_stopped_servers", "remove_upload",
    "resolve", "roofline", "save_upload", "session_folder", "shipped_checkpoints", "shipped_network", "stamp",
    "untrained_effective_field", "untrained_feature_maps",
    "start_training", "summary", "svg_available", "user_id",
]

tune_collector()  # the web process builds a page of protobufs and figures per rerun
