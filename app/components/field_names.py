"""Each hyperparameter named in the reader's language, beside its code name (the name in a link, on the
command line and in core's messages), with its unit where it has one: "growth rate k · growth_rate",
"增长率 k · growth_rate". Keyed by field name; "family.field" where a family means something else."""
from __future__ import annotations

from .i18n import language

NAMES: dict[str, tuple[str, str]] = {
    "channels": ("channels per block", "各块通道数"),
    "lenet.channels": ("channels of the two convolutions", "两个卷积层的通道数"),
    "first_kernel": ("first kernel (px)", "第一个卷积核（像素）"),
    "first_stride": ("first stride (px)", "第一个步幅（像素）"),
    "first_padding": ("first padding (px)", "第一个填充（像素）"),
    "hidden": ("hidden dense widths", "隐藏全连接层宽度"),
    "dropout": ("dropout probability", "dropout 概率"),
    "dropout_first": ("dropout before the first dense layer", "第一个全连接层前 dropout"),
    "adaptive_pool": ("adaptive pool side (px)", "自适应汇聚边长（像素）"),
    "input_size": ("input side (px)", "输入边长（像素）"),
    "in_channels": ("input channels", "输入通道数"),
    "num_classes": ("classes", "类别数"),
    "growth_rate": ("growth rate k", "增长率 k"),
    "block_config": ("layers per dense block", "各稠密块层数"),
    "num_init_features": ("initial channels k0", "初始通道数 k0"),
    "bn_size": ("bottleneck factor", "瓶颈系数"),
    "compression": ("compression θ", "压缩率 θ"),
    "drop_rate": ("dropout after each dense layer", "稠密层后 dropout"),
    "stem": ("stem", "起始层"),
    "conv_bias": ("convolution bias", "卷积偏置"),
    "memory_efficient": ("memory-efficient (recompute)", "节省显存（重算）"),
    "aggregation": ("aggregation", "聚合方式"),
    "batch_norm": ("batch normalisation", "批量规范化"),
    "branch3_kernel": ("third branch's kernel (px)", "第三分支卷积核（像素）"),
    "pool_style": ("pooling style", "汇聚方式"),
    "kernel_size": ("kernel (px)", "卷积核（像素）"),
    "activation": ("activation", "激活函数"),
    "pool": ("pooling", "汇聚"),
    "stem_width": ("stem channels", "起始层通道数"),
    "depths": ("blocks per stage", "各阶段块数"),
    "widths": ("channels per stage", "各阶段通道数"),
    "group_width": ("channels per group", "每组通道数"),
    "bottleneck_ratio": ("bottleneck ratio", "瓶颈比"),
    "se_ratio": ("squeeze-excitation ratio", "挤压-激励比"),
    "block": ("block", "残差块"),
    "layers": ("blocks per stage", "各阶段残差块数"),
    "width": ("first stage's channels", "第一阶段通道数"),
    "preact": ("pre-activation (v2)", "预激活（v2）"),
    "shortcut": ("shortcut", "捷径"),
    "groups": ("groups (cardinality)", "分组数（基数）"),
    "width_per_group": ("channels per group", "每组通道数"),
    "convs_per_block": ("convolutions per block", "各块卷积层数"),
}


def label(family: str, name: str) -> str:
    """"growth rate k · growth_rate" in the page's language; the code name alone where none is known."""
    names = NAMES.get(f"{family}.{name}") or NAMES.get(name)
    shown = (names[1] if language() == "zh" else names[0]) if names else name
    return name if shown == name else f"{shown} · {name}"  # "stem", not "stem · stem"
