"""Short explanations of each family (en, zh), written for this app from the ideas in the d2l notes."""

FAMILY_NOTES: dict[str, tuple[str, str]] = {
    "lenet": (
        "LeNet is the small ancestor of every network here: two rounds of *convolution → squashing "
        "non-linearity → pooling* turn a 28×28 digit into a short vector, and three fully connected "
        "layers turn that vector into class scores. The d2l version adds **batch normalisation** after "
        "each conv and linear layer: it re-centres and re-scales every channel over the mini-batch, "
        "which lets even sigmoid networks train quickly with a large learning rate.",
        "LeNet 是这里所有网络的“老祖宗”：两轮“卷积 → 非线性 → 汇聚”把 28×28 的数字图像压成一个短向量，"
        "再由三个全连接层给出各类别的分数。d2l 的版本在每个卷积层和全连接层后加了**批量规范化**："
        "它在小批量上把每个通道重新居中、缩放，使得即便用 sigmoid 的网络也能用较大的学习率快速训练。"),
    "alexnet": (
        "AlexNet (2012) showed that a much deeper and wider LeNet, trained on GPUs with lots of data, "
        "beats hand-made features. Compared with LeNet it uses an 11×11 stride-4 first convolution, "
        "five conv layers, **ReLU** instead of sigmoid, max pooling and **dropout** in two huge fully "
        "connected layers. Watch the parameter count: almost all of it sits in those dense layers.",
        "AlexNet（2012）证明了：一个更深更宽的 LeNet，配上 GPU 和大量数据，就能胜过人工设计的特征。"
        "与 LeNet 相比，它的第一层是 11×11、步幅 4 的卷积，共五个卷积层，用 **ReLU** 代替 sigmoid，"
        "用最大汇聚，并在两个巨大的全连接层中使用 **dropout**。留意参数量：几乎全部集中在这些全连接层里。"),
    "vgg": (
        "VGG turned network design into a recipe: repeat a **VGG block** (a few 3×3 convolutions with "
        "padding 1, then a 2×2 max pool that halves H and W) and double the channels after each block. "
        "Two stacked 3×3 convs see as far as one 5×5 conv but cost fewer parameters. `convs_per_block` "
        "and `channels` are the whole architecture: VGG-11 is (1,1,2,2,2) with 64…512 channels.",
        "VGG 把网络设计变成了一套“配方”：重复 **VGG 块**（若干个填充为 1 的 3×3 卷积，接一个把高宽减半的 "
        "2×2 最大汇聚），每过一个块通道数翻倍。两个叠起来的 3×3 卷积与一个 5×5 卷积的感受野相同，"
        "但参数更少。`convs_per_block` 和 `channels` 就是整个结构："
        "VGG-11 是 (1,1,2,2,2)，通道从 64 到 512。"),
    "nin": (
        "Network in Network asks: why end with huge fully connected layers at all? Each **NiN block** is "
        "one ordinary convolution followed by two 1×1 convolutions, which act like a small per-pixel MLP "
        "across channels. The last block outputs one channel per class, and **global average pooling** "
        "turns each channel into a score — so the model has very few parameters.",
        "NiN（网络中的网络）提出：为什么非要用庞大的全连接层收尾？每个 **NiN 块**是一个普通卷积加两个 "
        "1×1 卷积，后者相当于在每个像素位置上跨通道运行的小型多层感知机。最后一个块为每个类别输出一个通道，"
        "再用**全局平均汇聚**把每个通道变成一个分数——因此模型参数非常少。"),
    "googlenet": (
        "GoogLeNet stacks **Inception blocks**: four parallel branches (1×1; 1×1 then 3×3; 1×1 then 5×5; "
        "3×3 max pool then 1×1) whose outputs are concatenated along the channels. The 1×1 convs shrink "
        "the channels before the expensive kernels, so the block looks at several scales for a modest "
        "cost. Like NiN it ends with global average pooling.",
        "GoogLeNet 由 **Inception 块**堆叠而成：四条并行路径（1×1；1×1 后接 3×3；1×1 后接 5×5；"
        "3×3 最大汇聚后接 1×1），输出在通道维上拼接。1×1 卷积先把通道数降下来，再做代价较高的大卷积，"
        "所以一个块能以不大的代价同时观察多种尺度。和 NiN 一样，它以全局平均汇聚结束。"),
    "resnet": (
        "A deeper network should never be worse than a shallower one: the extra layers could simply "
        "copy their input. In practice plain deep networks train badly, so ResNet makes copying the "
        "default: each **residual block** computes f(x) = x + g(x) and only has to learn the correction "
        "g. When the shape changes, the shortcut uses a 1×1 conv (or zero padding). The **bottleneck** "
        "block (1×1 → 3×3 → 1×1, 4× expansion) keeps 50-, 101- and 152-layer models affordable. "
        "**ResNeXt** (d2l-en 8.6) splits the bottleneck's 3×3 into `groups` parallel paths: a grouped "
        "convolution has 1/groups of the weights of a full one, so the block can be wider at the same "
        "cost; **Wide ResNet** simply doubles the bottleneck (width_per_group=128).",
        "更深的网络本不该比浅的差：多出来的层只要把输入原样传下去即可。但实际上普通的深层网络很难训练，"
        "于是 ResNet 把“原样传递”设为默认：每个**残差块**计算 f(x) = x + g(x)，只需学习修正项 g。"
        "当形状改变时，捷径上用 1×1 卷积（或补零）对齐。**瓶颈**块（1×1 → 3×3 → 1×1，扩展 4 倍）"
        "让 50、101、152 层的模型仍然负担得起。**ResNeXt**（d2l-en 8.6）把瓶颈中的 3×3 卷积分成 groups "
        "条并行路径：分组卷积的权重只有普通卷积的 1/groups，于是同样的代价下块可以更宽；**Wide ResNet** "
        "则直接把瓶颈加宽一倍（width_per_group=128）。"),
    "regnet": (
        "AnyNet (d2l-en 8.8) fixes what a network is made of — a stem, stages of ResNeXt-style blocks "
        "(1×1 → grouped 3×3 → 1×1, with a shortcut), a head — and leaves each stage's **depth d**, "
        "**width w**, **group width g** and **bottleneck ratio b** free. RegNet is the region of that "
        "design space that trained best: widths grow from stage to stage by a quantized linear rule "
        "(w_j = w_0 + w_a·j, snapped to powers of w_m and to multiples of 8), b = 1 and one g for every "
        "stage. **RegNetY** adds squeeze-and-excitation: each block rescales its channels by weights it "
        "computes from their averages.",
        "AnyNet（d2l-en 8.8）固定网络的组成——起始层、由 ResNeXt 式块（1×1 → 分组 3×3 → 1×1，带捷径）"
        "组成的若干阶段、输出层——而让每个阶段的**深度 d**、**宽度 w**、**组宽 g** 和**瓶颈比 b** "
        "自由变化。RegNet 是这个设计空间中训练效果最好的区域：宽度按量化的线性规则逐阶段增长"
        "（w_j = w_0 + w_a·j，再取到 w_m 的整数次幂和 8 的倍数），b = 1，所有阶段用同一个 g。"
        "**RegNetY** 再加上挤压-激励（SE）：每个块用通道平均值算出的权重重新缩放各通道。"),
    "densenet": (
        "DenseNet takes ResNet's idea one step further: instead of *adding* the input to a block's "
        "output, it *concatenates* them. Inside a **dense block** every layer reads the block input and "
        "the outputs of all earlier layers, and adds only **k** new channels (the growth rate), so layer "
        "l sees k0 + k·(l−1) channels and a block of L layers has L(L+1)/2 connections. Because features "
        "are reused, k can be small (12 or 32). Between blocks a **transition layer** (1×1 conv + 2×2 "
        "average pool) halves H and W and keeps a fraction θ (compression) of the channels; the "
        "**bottleneck** (DenseNet-B) puts a 1×1 conv to 4k channels before each 3×3 conv.",
        "DenseNet 把 ResNet 的思路再推进一步：不是把输入*加*到输出上，而是把它们在通道上*拼接*起来。"
        "在**稠密块**中，每一层都读取块的输入和之前所有层的输出，自己只新增 **k** 个通道（增长率），"
        "所以第 l 层看到 k0 + k·(l−1) 个通道，一个 L 层的块共有 L(L+1)/2 条连接。由于特征被反复利用，"
        "k 可以很小（12 或 32）。块与块之间的**过渡层**（1×1 卷积 + 2×2 平均汇聚）把高宽减半，"
        "并只保留比例为 θ（压缩率）的通道；**瓶颈**结构（DenseNet-B）在每个 3×3 卷积前"
        "加一个输出 4k 通道的 1×1 卷积。"),
}
