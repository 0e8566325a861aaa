"""Chinese help for the config fields; English help comes from core's schema descriptions.

Keyed by "family.field", falling back to "field" for fields that mean the same in every family.
"""
from .i18n import language

ZH = {
    "in_channels": "输入图像的通道数（1 = 灰度，3 = RGB）。",
    "num_classes": "分类器输出的类别数。",
    "dropout": "dropout 概率（不带参数）。",
    "input_size": "展平式分类器所对应的输入高度 = 宽度。",
    "adaptive_pool": "分类器前自适应平均汇聚的边长（0 = 不用：分类器按 input_size 设定，与 d2l 相同）。",
    "hidden": "两个隐藏全连接层的宽度。",
    "batch_norm": "在每个卷积层（及隐藏全连接层）后加批量规范化。",
    "conv_bias": "每个卷积层都带偏置（d2l 的代码如此）。",
    "stem": "起始层：'imagenet'（7×7 步幅 2 卷积 + 3×3 步幅 2 最大汇聚）或 'cifar'（一个 3×3 卷积）。",
    "densenet.growth_rate": "增长率 k：每个稠密层新增的通道数。",
    "densenet.block_config": "每个稠密块中的稠密层数。",
    "densenet.num_init_features": "起始卷积输出的通道数 k0。",
    "densenet.bn_size": "瓶颈宽度系数：3×3 卷积前先用 1×1 卷积变为 bn_size·k 个通道（0 = 无瓶颈）。",
    "densenet.compression": "压缩率 θ：过渡层保留 m 个通道中的 ⌊θ·m⌋ 个。",
    "densenet.drop_rate": "每个稠密层之后的 dropout 概率。",
    "densenet.aggregation": "块内各层读什么：'dense'（之前所有层的输出）或 'osa'（VoVNet 的一次性聚合："
                            "只读前一层的输出，块在末尾把所有输出拼接一次）。",
    "densenet.memory_efficient": "反向传播时重新计算拼接 + BN + ReLU + 第一个卷积（检查点），而不保存它们。",
    "resnet.block": "残差块：'basic'（两个 3×3 卷积）或 'bottleneck'（1×1、3×3、1×1，扩展 4 倍）。",
    "resnet.layers": "每个阶段的残差块数；之后每个阶段高宽减半、通道翻倍。",
    "resnet.width": "起始层和第一个阶段的通道数。",
    "resnet.preact": "预激活顺序 BN-ReLU-卷积（ResNet v2）。",
    "resnet.shortcut": "形状变化时的捷径：'projection'（1×1 卷积 + BN）、'conv'（1×1 卷积，d2l）"
                       "或 'pad'（补零，无参数）。",
    "resnet.groups": "瓶颈中 3×3 卷积的分组数：ResNeXt 的基数 C（1 = ResNet；仅用于瓶颈块）。",
    "resnet.width_per_group": "第一阶段宽度为 64 时，瓶颈中 3×3 卷积每组的通道数：ResNeXt 的 d"
                              "（32x4d：分组 32、每组 4）；分组 1、每组 128 即 Wide ResNet-50-2。",
    "regnet.stem_width": "起始层（一个 3×3 步幅 2 卷积）的通道数。",
    "regnet.depths": "每个阶段的块数 d_i；每个阶段的第一个块把高宽减半。",
    "regnet.widths": "每个阶段的输出通道数 w_i。",
    "regnet.group_width": "每个块中 3×3 卷积每组的通道数 g（分组数 = 瓶颈宽度 / g）。",
    "regnet.bottleneck_ratio": "瓶颈比 b：块中的 3×3 卷积作用在 round(b·w_i) 个通道上"
                               "（RegNet 取 1，即无瓶颈）。",
    "regnet.se_ratio": "挤压-激励（RegNetY）：挤压到 round(r·输入宽度) 个通道；0 = 不用（RegNetX）。",
    "alexnet.channels": "五个卷积层的输出通道数。",
    "alexnet.first_kernel": "第一个卷积层的卷积核大小。",
    "alexnet.first_stride": "第一个卷积层的步幅。",
    "alexnet.first_padding": "第一个卷积层的填充。",
    "alexnet.dropout_first": "在每个隐藏全连接层之前使用 dropout（torchvision），而不是之后（d2l）。",
    "vgg.convs_per_block": "每个 VGG 块中 3×3 卷积的个数。",
    "vgg.channels": "每个 VGG 块的输出通道数。",
    "lenet.channels": "两个卷积层的输出通道数。",
    "lenet.kernel_size": "两个卷积层的卷积核大小（无填充）。",
    "lenet.hidden": "两个隐藏全连接层的宽度。",
    "lenet.batch_norm": "在每个卷积层和隐藏全连接层后加批量规范化。",
    "lenet.activation": "激活函数。",
    "lenet.pool": "2×2 汇聚的种类。",
    "nin.channels": "前三个 NiN 块的输出通道数（最后一个块输出 num_classes 个通道）。",
    "googlenet.batch_norm": "无偏置卷积后接 BN（torchvision），否则为带偏置卷积 + ReLU（d2l）。",
    "googlenet.branch3_kernel": "Inception 第三条路径的卷积核（论文和 d2l 为 5，torchvision 为 3）。",
    "googlenet.pool_style": "步幅 2 的最大汇聚：'ceil'（ceil_mode，torchvision）或 'pad'（填充 1，d2l）。",
}


def help_text(family: str, spec: dict) -> str:
    """The field's help in the current language."""
    if language() == "zh":
        return ZH.get(f"{family}.{spec['name']}") or ZH.get(spec["name"]) or spec["description"]
    return spec["description"]
