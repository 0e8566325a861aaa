"""The one catalogue of UI strings (en, zh) and the current language.

The language is: the `lang` query parameter when a link carries one, else the session's choice, else
the browser's (navigator.language via st.context.locale, then the Accept-Language header).
"""
from __future__ import annotations

import streamlit as st

from . import url_state
from .i18n_checkpoints import STRINGS as CHECKPOINT_STRINGS

LANGUAGES = {"en": "English", "zh": "中文"}
LANG_KEY = "lang"

# key: (English, Chinese). Placeholders use str.format names.
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("CNN Architecture Explorer", "CNN 架构探索器"),
    "app.tagline": ("The modern-CNN chapter of Dive into Deep Learning, measured exactly.",
                    "《动手学深度学习》现代卷积网络一章，精确计算，随手可调。"),
    "lang.label": ("Language", "语言"),
    "page.explore": ("Explore", "探索"),
    "page.compare": ("Compare", "比较"),
    # ---- explore: model choice and inputs
    "explore.family": ("Family", "网络家族"),
    "explore.preset": ("Preset", "预设模型"),
    "explore.preset_help": ("A published configuration; every field below starts from it.",
                            "一个已发表的配置；下面的各项超参数都从它出发。"),
    "explore.hyper": ("Hyperparameters", "超参数"),
    "explore.input": ("Input", "输入"),
    "explore.height": ("Height H (pixels)", "高度 H（像素）"),
    "explore.width": ("Width W (pixels)", "宽度 W（像素）"),
    "explore.batch": ("Batch size", "批量大小"),
    "explore.channels_note": ("Input channels C: the in_channels hyperparameter above",
                              "输入通道数 C：即上方的超参数 in_channels"),
    "explore.link_notice": ("This link asked for values the model cannot take; they were left as the "
                            "preset has them:", "这个链接里有模型无法接受的值，已保留预设中的值："),
    "explore.link_notice_item": ("**{param}** = {value}: {reason} — using **{used}**",
                                 "**{param}** = {value}：{reason} —— 改用 **{used}**"),
    "explore.link_not_number": ("not a whole number", "不是整数"),
    "explore.reset": ("Reset to preset", "恢复预设"),
    "explore.modified": ("modified from {preset}", "已在 {preset} 基础上修改"),
    "explore.list_help": ("comma-separated integers, e.g. {example}", "用逗号分隔的整数，例如 {example}"),
    "explore.stale": ("Showing the last valid model ({name}) until the input above is fixed.",
                      "在修正上面的输入之前，这里显示的是上一个有效模型（{name}）。"),
    # ---- metrics
    "metric.params": ("Parameters", "参数量"),
    "metric.macs": ("Multiply-accumulates (MACs)", "乘加运算（MACs）"),
    "metric.flops": ("Floating-point operations (FLOPs)", "浮点运算（FLOPs）"),
    "metric.depth": ("Depth (conv + linear layers)", "深度（卷积层 + 全连接层）"),
    "metric.output": ("Output shape", "输出形状"),
    "metric.params_help": ("{exact} parameters ({trainable} trainable)",
                           "共 {exact} 个参数（{trainable} 个可训练）"),
    "metric.macs_help": ("{exact} multiply-accumulates of conv and linear layers for one forward pass "
                         "of batch {batch}; BN, pooling and activations add {elem} element-ops apart.",
                         "批量 {batch} 前向一次，卷积层和全连接层共 {exact} 次乘加；BN、汇聚和激活另计 "
                         "{elem} 次逐元素运算。"),
    "metric.flops_help": ("{exact} FLOPs = 2 per multiply-accumulate.", "{exact} FLOPs = 每次乘加记 2 次。"),
    "unit.thousand": ("thousand", "千"),
    "unit.million": ("million", "百万"),
    "unit.billion": ("billion", "十亿"),
    "unit.trillion": ("trillion", "万亿"),
    "unit.wan": ("ten thousand", "万"),
    "unit.yi": ("hundred million", "亿"),
    # ---- figures for slides (components/slides.py)
    "slides.input": ("input {shape}", "输入 {shape}"),
    "slides.model_at": ("{name} at {shape}", "{name}（输入 {shape}）"),
    "slides.weights": ("trained on {dataset}, test accuracy {accuracy}",
                       "在 {dataset} 上训练，测试准确率 {accuracy}"),
    "slides.weights_unknown": ("weights from {file}", "权重来自 {file}"),
    "slides.training_on": ("training on {dataset}", "正在 {dataset} 上训练"),
    "slides.svg": ("⤓ SVG", "⤓ SVG"),
    "slides.png": ("⤓ PNG (2×)", "⤓ PNG（2 倍）"),
    "slides.graph_svg": ("Download SVG for slides (text as outlines, with a caption)",
                         "下载用于幻灯片的 SVG（文字转为轮廓，带说明）"),
    "slides.graph_png": ("Download PNG for slides (2×, with a caption)",
                         "下载用于幻灯片的 PNG（2 倍，带说明）"),
    # ---- presentation mode (components/presentation.py)
    "present.toggle": ("Presentation mode", "演示模式"),
    "present.help": ("For a projector: hides this sidebar, enlarges the text, the figures and the graph, "
                     "and keeps present=1 in the link, so a lesson can be prepared as a list of links.",
                     "用于投影：隐藏侧边栏，放大文字、图表和结构图，并在链接中保留 present=1，"
                     "这样可以把一节课准备成一串链接。"),
    "present.leave": ("Leave presentation mode", "退出演示模式"),
    # ---- tabs
    "tab.graph": ("Graph", "结构图"),
    "tab.channels": ("Channels", "通道变化"),
    "tab.layers": ("Layers", "逐层表"),
    "tab.inside": ("Inside", "网络内部"),
    "tab.code": ("Code / Export", "代码 / 导出"),
    "tab.learn": ("Learn", "学习"),
    # ---- graph
    "graph.expand": ("Expand one block to see every layer", "展开一个模块，查看其中每一层"),
    "graph.none": ("(none: block view)", "（不展开：模块视图）"),
    "graph.caption": ("{nodes} nodes, {edges} edges. Boxes in yellow are blocks (×N = N identical blocks in "
                      "a row); green circles join tensors (cat = concatenate channels, + = add). Click a "
                      "block to open it here, a layer to see its row of the Layers table beside the graph.",
                      "共 {nodes} 个节点、{edges} 条边。黄色方框是模块（×N 表示连续 N 个相同模块）；"
                      "绿色圆圈是张量汇合（cat = 按通道拼接，+ = 相加）。点击模块可在此展开，"
                      "点击某一层可在图旁查看它在逐层表中的行。"),
    "graph.dense_edges": ("This dense block has L = {layers} layers, so {pairs} = L(L+1)/2 dense connections "
                          "(each layer reads the block input and every earlier layer).",
                          "这个稠密块有 L = {layers} 层，所以有 L(L+1)/2 = {pairs} 条稠密连接"
                          "（每一层都读取块的输入和之前所有层的输出）。"),
    "graph.matrix_title": ("{block}: who reads whom ({dense} dense connections, {output} into the output)",
                           "{block}：谁读取谁（{dense} 条稠密连接，{output} 条进入输出）"),
    "graph.matrix_source": ("source (what is read)", "来源（被读取的）"),
    "graph.matrix_target": ("reading layer ℓ (cat = the block's output)", "读取层 ℓ（cat = 块的输出）"),
    "graph.matrix_input": ("block input", "块输入"),
    "graph.matrix_note": ("This block has {layers} layers: its full drawing ({edges} edges) is too dense to "
                          "read, so each filled cell below is one connection. A dense block's layer ℓ reads "
                          "the block input and all ℓ−1 earlier layers: L(L+1)/2 = {pairs} connections, plus "
                          "the L+1 inputs of the final concatenation.",
                          "这个块有 {layers} 层：完整的图（{edges} 条边）太密，难以看清，"
                          "所以下面每个填色的格子代表一条连接。"
                          "稠密块的第 ℓ 层读取块的输入和前面全部 ℓ−1 层：共 L(L+1)/2 = {pairs} "
                          "条连接，另加最后拼接的 L+1 个输入。"),
    "graph.full_drawing": ("Draw the full graph", "绘制完整的图"),
    "graph.columns": ("Columns", "列数"),
    "graph.columns_help": ("Fold the chain of blocks into this many columns, read down each column then on "
                           "to the next (a graph with branches stays in one column)",
                           "把模块链折成几列，先读完一列再读下一列（有分支的图仍为一列）"),
    "graph.zoom_out": ("−", "−"),
    "graph.zoom_out_help": ("Zoom out (or turn the mouse wheel; drag to pan)",
                            "缩小（或滚动鼠标滚轮；拖动可平移）"),
    "graph.zoom_in": ("+", "+"),
    "graph.zoom_in_help": ("Zoom in (or turn the mouse wheel; drag to pan)",
                           "放大（或滚动鼠标滚轮；拖动可平移）"),
    "graph.zoom_fit": ("Fit", "适应页面"),
    "graph.zoom_fit_help": ("Fill the page's width or its height, whichever binds",
                            "按页面宽度或高度（以先到者为准）缩放"),
    "graph.zoom_actual": ("100 %", "100 %"),
    "graph.zoom_actual_help": ("The drawing at its own size", "按原始大小显示"),
    "graph.layout_timeout": ("Graphviz could not lay out this graph within {seconds} s; the connection "
                             "matrix shows the same connections. Download the DOT file to draw it yourself.",
                             "Graphviz 没能在 {seconds} 秒内完成这个图的布局；连接矩阵显示的是同样的连接。"
                             "可下载 DOT 文件自行绘制。"),
    "graph.layout_busy": ("The server is laying out other graphs right now; the browser draws this one "
                          "instead.", "服务器正在为其他图布局；这个图改由浏览器绘制。"),
    "graph.download_dot": ("Download DOT", "下载 DOT"),
    "graph.word_input": ("input", "输入"),  # the words inside the graph's node labels
    "graph.word_params": ("params", "参数"),
    "graph.word_ch": ("ch", "通道"),
    "graph.word_field": ("receptive field", "感受野"),
    "graph.word_jump": ("jump", "跳距"),
    "graph.word_whole": ("the whole input", "整个输入"),
    "graph.word_px": ("px", "像素"),
    "graph.download_svg": ("Download SVG", "下载 SVG"),
    # ---- channels
    "chan.title": ("Channels and feature-map size along the network", "沿网络的通道数和特征图大小"),
    "chan.x": ("Layer or block along the main path", "主路径上的层或模块"),
    "chan.channels": ("Channels", "通道数"),
    "chan.side": ("Feature-map side H (pixels)", "特征图边长 H（像素）"),
    "chan.stairs_title": ("Dense blocks: input channels of layer l = k0 + k·(l−1)",
                          "稠密块：第 l 层的输入通道数 = k0 + k·(l−1)"),
    "chan.stairs_x": ("Dense layer l (counted across blocks)", "稠密层序号 l（跨块连续计数）"),
    "chan.transition": ("transition {inp}→{out}", "过渡层 {inp}→{out}"),
    "chan.one_shot": ("one-shot aggregation: only the previous layer's output",
                      "一次性聚合：只读前一层的输出"),
    "chan.block_out": ("block output", "块输出"),
    "chan.no_dense": ("This family has no dense blocks; the staircase chart appears for DenseNet.",
                      "该网络家族没有稠密块；阶梯图只对 DenseNet 显示。"),
    # ---- layers
    "layers.total": ("Total", "合计"),
    "layers.summary": ("{rows} layers; the last row is the total: {params} parameters, {macs} MACs. "
                       "Click a column header to sort; select a row (the box at its left) to see that "
                       "layer's feature maps.",
                       "共 {rows} 层；最后一行是合计：{params} 个参数，{macs} 次乘加。点击列标题可排序；"
                       "选中一行（左侧的方框）可查看该层的特征图。"),
    "layers.no_maps": ("{layer} has no feature map of more than one position to show (it is a joining "
                       "operation, a part of a block, a vector, or a 1×1 map): pick a convolution, a norm, "
                       "an activation, a pooling layer or a whole block.",
                       "{layer} 没有可显示的多于一个位置的特征图（它是连接运算、模块的一部分、向量或 1×1 "
                       "特征图）：请选择卷积、归一化、激活、池化层或整个模块。"),
    "node.title": ("Selected in the graph: its row of the Layers table", "图中选中的节点：它在逐层表中的行"),
    "node.column": ("Column", "列"),
    "node.value": ("Value", "值"),
    "node.layers": ("Layers summed", "累加的层数"),
    "node.maps": ("Its feature maps", "查看它的特征图"),
    "node.clear": ("Close", "关闭"),
    "layers.download": ("Download CSV", "下载 CSV"),
    "col.name": ("Layer", "层"),
    "col.type": ("Type", "类型"),
    "col.input": ("Input shape(s)", "输入形状"),
    "col.output": ("Output shape", "输出形状"),
    "col.params": ("Parameters", "参数量"),
    "col.macs": ("MACs", "乘加次数"),
    "col.bytes": ("Bytes moved (fp32, one example)", "搬运字节数（fp32，单个样本）"),
    "col.field": ("Receptive field (input pixels)", "感受野（输入像素）"),
    "col.jump": ("Jump (input pixels)", "跳距（输入像素）"),
    "col.field_help": ("The side of the input square that one output of this layer can depend on "
                       "(theoretical: every path, padding included; joins take the widest path).",
                       "该层一个输出可能依赖的输入正方形的边长（理论值：经过所有路径，含填充；汇合处取最宽的路径）。"),
    "col.jump_help": ("Input pixels between two neighbouring outputs of this layer: the product of the "
                      "strides before it.", "该层相邻两个输出之间相隔的输入像素数：之前所有步幅的乘积。"),
    "layers.whole_input": ("whole input", "整个输入"),
    # ---- code
    "code.pytorch": ("PyTorch code", "PyTorch 代码"),
    "code.pytorch_help": ("Runs on its own: the family's module source and the line that builds this "
                          "configuration. Copy it with the button at the top right of the box.",
                          "可以独立运行：该网络家族的模块源码，加上构建当前配置的那一行。"
                          "用代码框右上角的按钮复制。"),
    "code.json": ("Config JSON", "配置 JSON"),
    "code.onnx": ("ONNX", "ONNX"),
    "code.onnx_help": ("Open the file in Netron (https://netron.app) to browse the network; the weights "
                       "are random.", "用 Netron（https://netron.app）打开文件即可浏览网络；权重是随机的。"),
    "code.onnx_download": ("Download ONNX (random weights)", "下载 ONNX（随机权重）"),
    "code.download_py": ("Download .py", "下载 .py"),
    "code.download_json": ("Download JSON", "下载 JSON"),
    # ---- learn
    "learn.about": ("About {family}", "关于 {family}"),
    "learn.quiz": ("Predict, then reveal", "先预测，再揭晓"),
    "learn.quiz_help": ("Answer in your head first; the answers are computed from the model above.",
                        "先在心里作答；答案由上面的模型实时算出。"),
    "q.params": ("How many parameters does this model have (to the nearest million)?",
                 "这个模型大约有多少参数（精确到百万）？"),
    "q.output_channels": ("How many channels leave {block}?", "{block} 输出多少个通道？"),
    "q.layer_inputs": ("How many input channels does the last dense layer of {block} read?",
                       "{block} 的最后一个稠密层读入多少个通道？"),
    "q.transition": ("How many channels does {name} keep?", "{name} 保留多少个通道？"),
    "q.side": ("What is the feature-map side after {name}?", "{name} 之后特征图的边长是多少？"),
    "q.depth": ("How many conv + linear layers lie on the longest path?",
                "最长路径上有多少个卷积层和全连接层？"),
    "q.grouped": ("The first stage's 3×3 convolution has {inner} channels. Split into {groups} groups "
                  "(ResNeXt), how many weights does it keep, against an ungrouped one?",
                  "第一阶段的 3×3 卷积有 {inner} 个通道。分成 {groups} 组（ResNeXt）后它还有多少权重？"
                  "不分组时有多少？"),
    "a.grouped": ("{grouped} against {full}: 1/{groups} of the weights",
                  "{grouped} 对 {full}：权重只有 1/{groups}"),
    "why.grouped": ("each filter sees only its group's {per} channels, so the block can be wider for "
                    "the same cost (d2l-en 8.6)",
                    "每个卷积核只看本组的 {per} 个通道，所以同样的代价下块可以更宽"
                    "（d2l-en 8.6；中文版第 7 章未收录）"),
    "q.regnet": ("From stage to stage of this network, what grows and what stays the same?",
                 "这个网络从一个阶段到下一个阶段，什么在增长，什么保持不变？"),
    "a.regnet": ("widths {widths} ({trend}), depths {depths}; the same group width g = {g} and "
                 "bottleneck ratio b = {b} in every stage",
                 "宽度 {widths}（{trend}），深度 {depths}；每个阶段的组宽 g = {g}、瓶颈比 b = {b} 都相同"),
    "a.regnet_grows": ("they grow", "逐级增长"),
    "a.regnet_not": ("not growing: outside RegNet's rule", "没有逐级增长：不符合 RegNet 的规则"),
    "why.regnet": ("RegNet's design rules (d2l-en 8.8): share b and g across stages, and let widths and "
                   "depths increase with the stage",
                   "RegNet 的设计规则（d2l-en 8.8；中文版未收录）：各阶段共享 b 和 g，宽度和深度随阶段增加"),
    "q.first_whole": ("Which layer is the first whose single output can see the whole {size} input?",
                      "哪一层的单个输出最先能看到整个 {size} 输入？"),
    "q.spans_why": ("its receptive field is {field} pixels wide, at least the input's {side}; neighbouring "
                    "outputs are {jump} pixels apart",
                    "它的感受野宽 {field} 像素，不小于输入的 {side}；相邻输出相隔 {jump} 像素"),
    "q.whole_why": ("no convolution gets there: the {type} mixes every position of its map",
                    "没有哪个卷积层做到：{type} 混合了其特征图的每个位置"),
    "q.field": ("How many input pixels wide is the receptive field of one output of {name}?",
                "{name} 的一个输出的感受野有多少个输入像素宽？"),
    "q.field_why": ("each k×k window adds (k − 1)·jump to the field; its outputs are {jump} input pixels "
                    "apart", "每个 k×k 窗口使感受野增加 (k − 1)·跳距；它的输出彼此相隔 {jump} 个输入像素"),
    "q.osa": ("{block} has {n} layers. How many connections lead into its layers with VoVNet's "
              "one-shot aggregation, and how many in a dense block?",
              "{block} 有 {n} 层。用 VoVNet 的一次性聚合时有多少条连接通向这些层？稠密块又有多少条？"),
    "a.osa": ("{osa} against {dense} = L(L+1)/2", "{osa} 对 {dense} = L(L+1)/2"),
    "why.osa": ("with OSA each layer reads only the layer before it, and the block concatenates all "
                "{outputs} feature maps once, at its end; a dense layer ℓ reads all ℓ sources before it",
                "用 OSA 时每层只读前一层，块在末尾把全部 {outputs} 个特征图拼接一次；"
                "稠密块的第 ℓ 层读之前全部 ℓ 个来源"),
    "q.bound": ("On an {gpu}, training at batch {batch} in fp32: is this model limited by arithmetic or by "
                "memory traffic?",
                "在 {gpu} 上以批量 {batch}、fp32 训练时，这个模型受限于计算还是受限于内存搬运？"),
    "a.bound_memory": ("by memory: {share:.0%} of the predicted time is in memory-bound layers",
                       "受限于内存：预测时间的 {share:.0%} 花在受内存带宽限制的层上"),
    "a.bound_compute": ("by arithmetic: only {share:.0%} of the predicted time is in memory-bound layers",
                        "受限于计算：预测时间中只有 {share:.0%} 花在受内存带宽限制的层上"),
    "why.bound": ("it does {intensity:.0f} FLOPs per byte moved, against the {ridge:.0f} at which the GPU's "
                  "arithmetic and its memory take equally long (the roofline's ridge; Compare shows it)",
                  "它每搬运一个字节做 {intensity:.0f} 次浮点运算，而该 GPU 计算与访存耗时相等的点在 "
                  "{ridge:.0f}（屋顶线的拐点；见“比较”页）"),
    # ---- compare
    "compare.title": ("Compare models", "比较模型"),
    "compare.count": ("Number of models", "模型数量"),
    "compare.model": ("Model {i}", "模型 {i}"),
    "compare.overrides": ("Changes (optional)", "修改（可选）"),
    "compare.overrides_help": ("KEY=VALUE separated by ';', e.g. growth_rate=12; block_config=6,12,24,16",
                               "用 ';' 分隔的 KEY=VALUE，例如 growth_rate=12; block_config=6,12,24,16"),
    "compare.bad_changes": ("'{part}' is not KEY=VALUE; separate changes with ';'",
                            "“{part}” 不是 KEY=VALUE 形式；多个修改之间用 ';' 分隔"),
    "compare.table": ("Side by side", "并列比较"),
    "compare.why_title": ("Why DenseNet needs fewer parameters", "为什么 DenseNet 的参数更少"),
    # ---- the first two compared models, part by part (components/architecture_diff.py)
    "arch.title": ("The first two models, part by part", "前两个模型，逐部分对比"),
    "arch.part": ("Part", "部分"),
    "arch.stem_plain": ("Stem", "起始层"),
    "arch.stage": ("Stage at {side}", "{side} 阶段"),
    "arch.stage_plain": ("Feature layers", "特征层"),
    "arch.transition": ("Transition to {side}", "过渡到 {side}"),
    "arch.transition_plain": ("Transition", "过渡层"),
    "arch.head_plain": ("Head", "输出头"),
    "arch.col_join": ("joins paths by", "路径汇合方式"),
    "arch.col_units": ("blocks or layers", "块或层"),
    "arch.col_out_channels": ("output channels", "输出通道"),
    "arch.col_params": ("parameters", "参数量"),
    "arch.join_add": ("add", "相加"),
    "arch.join_concatenate": ("concatenate", "拼接"),
    "arch.join_one-shot aggregation": ("one-shot aggregation", "一次性聚合"),
    "arch.join_none": ("—", "—"),
    "arch.units_blocks": ("{n} blocks", "{n} 个块"),
    "arch.units_layers": ("{n} layers", "{n} 层"),
    "arch.units_blocks_one": ("{n} block", "{n} 个块"),
    "arch.units_layers_one": ("{n} layer", "{n} 层"),
    "arch.caption": ("Parts are paired by their feature-map side; highlighted cells differ between {a} "
                     "and {b}; – : that model has no such part (a ResNet halves the side inside the first "
                     "block of a stage, at stride 2). A stage counts its blocks, a dense block its dense "
                     "layers, the other parts their layers.",
                     "各部分按特征图边长配对；高亮的单元格表示 {a} 与 {b} 不同；– 表示该模型没有这一部分"
                     "（ResNet 在每个阶段第一个块内以步幅 2 减半边长）。阶段按块计数，稠密块按稠密层计数，"
                     "其余部分按层计数。"),
    "arch.curve_title": ("Channels each convolution reads, against depth", "每个卷积读入的通道数与深度"),
    "arch.curve_x": ("Depth (convolutions and dense layers from the input)",
                     "深度（从输入起的卷积层和全连接层数）"),
    "arch.curve_y": ("Input channels", "输入通道数"),
    "compare.why_densenet": ("**{name}**: {depth} layers, {params} parameters. Each dense layer writes only "
                             "k = {k} new channels and reads every earlier layer's; its convolutions "
                             "write {low}–{high} channels (median {median}), and those writing ≥ 512 "
                             "hold {share:.0%} of its parameters.",
                             "**{name}**：{depth} 层，{params} 个参数。每个稠密层只写出 k = {k} 个新通道，"
                             "并读取前面所有层的通道；它的卷积输出 {low}–{high} 个通道（中位数 {median}），"
                             "输出 ≥ 512 通道的卷积占其参数的 {share:.0%}。"),
    "compare.why_resnet": ("**{name}**: {depth} layers, {params} parameters. Its convolutions write "
                           "{low}–{high} channels (median {median}), and those writing ≥ 512 hold "
                           "{share:.0%} of its parameters.",
                           "**{name}**：{depth} 层，{params} 个参数。它的卷积输出 {low}–{high} 个通道"
                           "（中位数 {median}），输出 ≥ 512 通道的卷积占其参数的 {share:.0%}。"),
    "compare.why": ("A convolution has input × output × kernel² weights. A ResNet carries every feature "
                    "forward in wide tensors, so its deep convolutions are wide in both; a DenseNet keeps "
                    "each layer's output narrow (k) and reuses earlier features by concatenation instead "
                    "of computing them again (feature reuse, Huang et al. 2017, §3–4).",
                    "卷积的权重数是 输入通道 × 输出通道 × 卷积核²。ResNet 用宽张量把所有特征一路传下去，"
                    "所以深处的卷积输入输出都很宽；"
                    "DenseNet 让每层的输出保持很窄（k），通过拼接复用前面的特征，"
                    "而不是重新计算它们（特征复用，Huang 等 2017，第 3–4 节）。"),
    "compare.col_memory": ("Training memory (MiB)", "训练内存（MiB）"),
    "compare.speed_title": ("Speed on a GPU: FLOPs are not the whole story (roofline model)",
                            "在 GPU 上的速度：FLOPs 并不说明一切（屋顶线模型）"),
    "compare.gpu": ("GPU", "GPU"),
    "compare.gpu_h100": ("NVIDIA H100 SXM5", "NVIDIA H100 SXM5"),
    "compare.gpu_rtx4060_laptop": ("Laptop: GeForce RTX 4060", "笔记本：GeForce RTX 4060"),
    "compare.col_gflops": ("GFLOPs per example (forward)", "每个样本的 GFLOPs（前向）"),
    "compare.col_moved": ("MB moved per example (forward)", "每个样本搬运的 MB（前向）"),
    "compare.col_intensity": ("FLOPs per byte", "每字节 FLOPs"),
    "compare.col_memory_bound": ("time in memory-bound layers", "受内存带宽限制的层所占时间"),
    "compare.col_predicted": ("predicted training examples/s", "预测训练样本数/秒"),
    "compare.col_measured": ("measured examples/s (H100)", "实测样本数/秒（H100）"),
    "compare.col_efficiency": ("measured / predicted", "实测 / 预测"),
    "compare.speed_note": ("Roofline model, fp32 (convolutions as TF32 on tensor cores), batch {batch}: each "
                           "layer takes the longer of its FLOPs ÷ peak FLOP/s and the bytes it reads and "
                           "writes ÷ memory bandwidth; a training step counts as 3 forward passes. A layer "
                           "below {ridge:.0f} FLOPs per byte waits on memory, not arithmetic. The prediction "
                           "is an upper bound on speed (data-sheet peaks, no launch gaps, no cache reuse or "
                           "fusion); the measured column is docs/benchmarks.md's H100 run of the unchanged "
                           "preset. Peaks: {source}.",
                           "屋顶线模型，fp32（卷积在张量核上按 TF32 计算），批量 {batch}："
                           "每一层取“FLOPs ÷ 峰值 FLOP/s”与“读写字节数 ÷ 内存带宽”中较长者；"
                           "一次训练步骤按 3 次前向计算。"
                           "每字节低于 {ridge:.0f} FLOPs 的层在等内存而不是等计算。"
                           "预测值是速度的上限（按数据手册峰值，不计内核启动间隙、缓存复用或算子融合）；"
                           "实测列是 docs/benchmarks.md 中未改动预设在 H100 上的测量。峰值来源：{source}。"),
    "compare.memory_note": ("Training memory: core's {kind} of the peak of one training step at batch "
                            "{batch}, {dtype}, SGD with momentum, on any device (parameters + gradients + "
                            "optimizer state + activations saved for backward).",
                            "训练内存：core 对一次训练步骤峰值的{kind}，批量 {batch}，{dtype}，带动量的 SGD，"
                            "与设备无关（参数 + 梯度 + 优化器状态 + 为反向传播保存的激活）。"),
    "compare.bars_memory": ("Training memory, peak (MiB, estimate)", "训练内存峰值（MiB，估算）"),
    "explore.memory": ("Estimate training memory (fp32, SGD, this batch; takes a second or more)",
                       "估算训练内存（fp32，SGD，当前批量；需要一秒或更久）"),
    "explore.memory_value": ("Training memory, peak ({kind}, {device}, {dtype}, batch {batch})",
                             "训练内存峰值（{kind}，{device}，{dtype}，批量 {batch}）"),
    "explore.memory_help": ("parameters {parameters} MiB + gradients {gradients} MiB + SGD momentum "
                            "{optimizer} MiB + activations saved for backward {activations} MiB. "
                            "The Memory page measures it on a GPU.",
                            "参数 {parameters} MiB + 梯度 {gradients} MiB + SGD 动量 {optimizer} MiB + "
                            "为反向传播保存的激活 {activations} MiB。在“显存”页面可在 GPU 上实测。"),
    "compare.col_model": ("Model", "模型"),
    "compare.col_input": ("Input C×H×W", "输入 C×H×W"),
    "compare.bars_params": ("Parameters (millions)", "参数量（百万）"),
    "compare.bars_gmacs": ("Multiply-accumulates (billions, GMACs)", "乘加次数（十亿，GMACs）"),
    "compare.bars_depth": ("Depth (conv + linear layers)", "深度（卷积层 + 全连接层）"),
    "compare.bars_title": ("{metric} per model", "各模型的{metric}"),
    "compare.depth_title": ("ResNet vs DenseNet: parameters against depth",
                            "ResNet 与 DenseNet：参数量随深度的变化"),
    "compare.depth_x": ("Depth (conv + linear layers on the longest path)",
                        "深度（最长路径上的卷积层 + 全连接层）"),
    "compare.depth_y": ("Parameters (millions, log scale)", "参数量（百万，对数坐标）"),
    "compare.acc_title": ("Published ImageNet top-1 accuracy (reference, not computed here)",
                          "公开的 ImageNet top-1 准确率（参考值，非本应用计算）"),
    "compare.acc_y": ("Top-1 accuracy (%)", "Top-1 准确率（%）"),
    "compare.acc_x": ("Parameters (millions)", "参数量（百万）"),
    "compare.acc_source": ("Source: torchvision model cards (ImageNet-1k val, single crop).",
                           "来源：torchvision 模型卡（ImageNet-1k 验证集，单次裁剪）。"),
    "series.resnet_imagenet": ("ResNet (ImageNet, 224²)", "ResNet（ImageNet，224²）"),
    "series.densenet_imagenet": ("DenseNet (ImageNet, 224²)", "DenseNet（ImageNet，224²）"),
    "series.resnet_cifar": ("ResNet (CIFAR, 32²)", "ResNet（CIFAR，32²）"),
    "series.densenet_cifar": ("DenseNet / DenseNet-BC (CIFAR, 32²)", "DenseNet / DenseNet-BC（CIFAR，32²）"),
}
STRINGS.update(CHECKPOINT_STRINGS)


def language() -> str:
    return st.session_state.get(LANG_KEY, "en")


def t(key: str, **values) -> str:
    en, zh = STRINGS[key]
    text = zh if language() == "zh" else en
    return text.format(**values) if values else text


# Fashion-MNIST's class names (core.data.FASHION_CLASSES) in Chinese; digits and CIFAR-10 names stay.
CLASS_NAMES_ZH = {"T-shirt/top": "T恤/上衣", "Trouser": "裤子", "Pullover": "套衫", "Dress": "连衣裙",
                  "Coat": "外套", "Sandal": "凉鞋", "Shirt": "衬衫", "Sneaker": "运动鞋", "Bag": "包",
                  "Ankle boot": "短靴"}


def class_name(name: str) -> str:
    """A dataset's class name in the user's language (where the catalogue has it)."""
    return CLASS_NAMES_ZH.get(name, name) if language() == "zh" else name


def localize_choice(key: str, options: dict[str, str], default: str) -> list[str]:
    """Labels for a choice widget whose options are catalogue strings ({id: catalogue key}).

    The widget state holds a label; after a language switch it is mapped to the same option in the
    new language (formatting options through t() instead would break AppTest, which formats outside
    the session). Returns the labels in option order.
    """
    current = st.session_state.get(key)
    chosen = next((i for i, k in options.items() if current in STRINGS[k]), default)
    st.session_state[key] = t(options[chosen])
    return [t(k) for k in options.values()]


def chosen_id(label: str, options: dict[str, str]) -> str:
    return next(i for i, k in options.items() if label in STRINGS[k])


def browser_language() -> str:
    """zh when the browser prefers Chinese, else en."""
    locale = st.context.locale or ""
    if not locale:
        accept = st.context.headers.get("Accept-Language") or ""
        locale = accept.split(",")[0]
    return "zh" if locale.lower().startswith("zh") else "en"


def language_switch(url_lang: str | None, from_url: bool) -> str:
    """The sidebar language switch; a link's `lang` wins when the URL changed from outside."""
    if from_url and url_lang in LANGUAGES:
        st.session_state[LANG_KEY] = url_lang
    elif LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = browser_language()
    st.sidebar.segmented_control(t("lang.label"), list(LANGUAGES), format_func=LANGUAGES.get,
                                 key=LANG_KEY, required=True, on_change=url_state.acted)
    return st.session_state[LANG_KEY]
