"""DenseNet (Huang et al., 2017): every layer sees the concatenation of all earlier outputs.

Module and parameter names follow torchvision's DenseNet (features.denseblockN.denselayerM.conv1,
features.transitionN.conv, classifier) so torchvision state_dicts load into these models.
bn_size = 0 gives the plain (non-bottleneck) layer BN-ReLU-Conv3x3 of the paper and of d2l.
aggregation = "osa" gives VoVNet's one-shot aggregation (Lee et al. 2019) in the same frame: a layer
reads only the previous layer's k channels, and the block concatenates its input and every layer's
output once, at its end: the same block output (k0 + L·k channels) without the L(L+1)/2 connections.
"""
from collections import OrderedDict

import torch
from torch import nn

from .densenet_layout import Block, layout


class EfficientFirstConv(torch.autograd.Function):
    """cat -> BN -> ReLU -> conv1 that stores nothing but its inputs (kept anyway by later layers).

    The concatenation and the BN/ReLU outputs grow with depth (l*k channels for layer l) and are what
    makes DenseNet memory-hungry. Here they are temporaries: backward recomputes them from the saved
    inputs and BN statistics (cheap element-wise work) and never re-runs the convolution, unlike
    torch.utils.checkpoint around the whole function (the idea of Pleiss et al. 2017).
    """

    @staticmethod
    def forward(ctx, norm, conv, momentum, gamma, beta, weight, bias, *features):
        x = torch.cat(features, 1)
        out, mean, invstd = torch.ops.aten.native_batch_norm(
            x, gamma, beta, norm.running_mean, norm.running_var, norm.training, momentum, norm.eps)
        ctx.norm, ctx.conv = norm, conv
        ctx.save_for_backward(mean, invstd, *features)
        return torch.nn.functional.conv2d(out.relu_(), weight, bias, conv.stride, conv.padding,
                                          conv.dilation, conv.groups)

    @staticmethod
    def backward(ctx, grad_out):
        norm, conv = ctx.norm, ctx.conv
        mean, invstd, *features = ctx.saved_tensors
        x = torch.cat(features, 1)
        if not norm.training:
            mean, invstd = norm.running_mean, (norm.running_var + norm.eps).rsqrt()
        shape = (1, -1, 1, 1)
        activated = ((x - mean.view(shape)) * (invstd * norm.weight).view(shape)
                     + norm.bias.view(shape)).relu_()
        has_bias = conv.bias is not None
        grad_act, grad_weight, grad_bias = torch.ops.aten.convolution_backward(
            grad_out, activated, conv.weight, [conv.out_channels] if has_bias else None, conv.stride,
            conv.padding, conv.dilation, False, [0, 0], conv.groups, [True, True, has_bias])
        grad_act.masked_fill_(activated <= 0, 0)
        del activated
        grad_x, grad_gamma, grad_beta = torch.ops.aten.native_batch_norm_backward(
            grad_act, x, norm.weight, norm.running_mean, norm.running_var, ctx.saved_tensors[0],
            ctx.saved_tensors[1], norm.training, norm.eps, [True, True, True])
        return (None, None, None, grad_gamma, grad_beta, grad_weight, grad_bias,
                *grad_x.split([f.shape[1] for f in features], 1))


class DenseLayer(nn.Module):
    """BN-ReLU-Conv(1x1, bn_size*k) then BN-ReLU-Conv(3x3, k); or only BN-ReLU-Conv(3x3, k)."""
    graph_block = "dense layer"

    def __init__(self, in_channels, growth_rate, bn_size, drop_rate, conv_bias, memory_efficient):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        if bn_size > 0:
            self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, 1, bias=conv_bias)
            self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
            self.relu2 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=conv_bias)
        else:
            self.conv1 = nn.Conv2d(in_channels, growth_rate, 3, padding=1, bias=conv_bias)
        self.dropout = nn.Dropout(drop_rate) if drop_rate > 0 else None
        self.memory_efficient = memory_efficient

    def first_conv(self, features):
        # The concatenation is what makes DenseNet memory-hungry: a fresh l*k-channel tensor per layer.
        return self.conv1(self.relu1(self.norm1(torch.cat(features, 1))))

    def forward(self, features):
        if self.memory_efficient and torch.is_grad_enabled():
            norm, conv = self.norm1, self.conv1
            out = EfficientFirstConv.apply(norm, conv, self._bn_momentum(), norm.weight, norm.bias,
                                           conv.weight, conv.bias, *features)
        else:
            out = self.first_conv(features)
        if hasattr(self, "conv2"):
            out = self.conv2(self.relu2(self.norm2(out)))
        if self.dropout is not None:
            out = self.dropout(out)
        return out

    def _bn_momentum(self):
        """What nn.BatchNorm2d would use this step (and count the batch, as it does)."""
        norm = self.norm1
        if not norm.training:
            return 0.0
        norm.num_batches_tracked.add_(1)
        return norm.momentum if norm.momentum is not None else 1.0 / float(norm.num_batches_tracked)


class DenseBlock(nn.ModuleDict):
    """The plan's dense layers; layer l reads k0 + (l-1)·k channels (dense), or the previous layer's k
    (one-shot aggregation; the first reads the block input)."""
    graph_block = "dense block"

    def __init__(self, plan: Block, bn_size, drop_rate, conv_bias, memory_efficient):
        super().__init__()
        self.one_shot = plan.one_shot
        for layer in range(1, plan.layers + 1):
            self[f"denselayer{layer}"] = DenseLayer(plan.reads(layer), plan.growth_rate, bn_size, drop_rate,
                                                    conv_bias, memory_efficient)

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features[-1:] if self.one_shot else features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    """BN-ReLU-Conv(1x1) to compress channels, then 2x2 average pooling to halve H and W."""
    graph_block = "transition"

    def __init__(self, in_channels, out_channels, conv_bias):
        super().__init__(OrderedDict(
            norm=nn.BatchNorm2d(in_channels),
            relu=nn.ReLU(inplace=True),
            conv=nn.Conv2d(in_channels, out_channels, 1, bias=conv_bias),
            pool=nn.AvgPool2d(2, stride=2),
        ))


class DenseNet(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, compression=0.5, drop_rate=0.0, stem="imagenet", conv_bias=False,
                 memory_efficient=False, aggregation="dense", in_channels=3, num_classes=1000):
        super().__init__()
        if stem == "imagenet":
            layers = [("conv0", nn.Conv2d(in_channels, num_init_features, 7, stride=2, padding=3,
                                          bias=conv_bias)),
                      ("norm0", nn.BatchNorm2d(num_init_features)),
                      ("relu0", nn.ReLU(inplace=True)),
                      ("pool0", nn.MaxPool2d(3, stride=2, padding=1))]
        else:  # "cifar": one 3x3 convolution, no downsampling (paper, Sec. 4.1)
            layers = [("conv0", nn.Conv2d(in_channels, num_init_features, 3, padding=1,
                                          bias=conv_bias))]
        self.features = nn.Sequential(OrderedDict(layers))
        self.layout = layout(num_init_features, growth_rate, block_config, compression, aggregation)
        for plan in self.layout:
            self.features.add_module(f"denseblock{plan.index}", DenseBlock(
                plan, bn_size, drop_rate, conv_bias, memory_efficient))
            if plan.transition is not None:
                self.features.add_module(f"transition{plan.index}", Transition(*plan.transition, conv_bias))
        channels = self.layout[-1].output
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(self.flatten(self.pool(self.relu(self.features(x)))))


def densenet(**config):
    return DenseNet(**config)
