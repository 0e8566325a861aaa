"""Catalogue strings (en, zh) of the checkpoint and memory pages: Connections, Attributions, Train,
Memory. Merged into i18n.STRINGS, the one catalogue; kept apart only to keep i18n.py short."""

STRINGS: dict[str, tuple[str, str]] = {
    "page.connections": ("Connections", "连接强度"),
    "page.attributions": ("Attributions", "归因"),
    "page.train": ("Train", "训练"),
    "page.memory": ("Memory", "显存"),
    # ---- checkpoint picker (Connections, Attributions)
    "ckpt.choice": ("Checkpoint", "检查点"),
    "ckpt.choice_help": ("A trained network: shipped with the app, uploaded by you, or trained on the "
                         "Train page in this session.",
                         "一个训练好的网络：随应用提供的、你上传的，或本次会话在“训练”页训练的。"),
    "ckpt.densenet_fig5": ("Paper Fig. 5 network: DenseNet, 3 blocks × 12 layers, k = 12",
                                  "论文图 5 的网络：DenseNet，3 个块 × 12 层，k = 12"),
    "ckpt.densenet_bc": ("DenseNet-BC, L = 100, k = 12", "DenseNet-BC，L = 100，k = 12"),
    "ckpt.vovnet_osa": ("The Fig. 5 network with VoVNet's one-shot aggregation (aggregation=osa)",
                               "图 5 的网络改用 VoVNet 的一次性聚合（aggregation=osa）"),
    "ckpt.uploaded": ("Uploaded: {name}", "已上传：{name}"),
    "ckpt.trained": ("Trained on the Train page", "在“训练”页训练的"),
    "ckpt.upload": ("Upload a checkpoint (.safetensors, .pt, .pth; ≤ 200 MB)",
                    "上传检查点（.safetensors、.pt、.pth；≤ 200 MB）"),
    "ckpt.upload_help": ("Read as tensors only: a .pt/.pth file that holds Python objects is refused, "
                         "nothing in it runs.",
                         "只按张量读取：含有 Python 对象的 .pt/.pth 文件会被拒绝，其中的代码不会运行。"),
    "ckpt.summary": ("{arch} · trained on {dataset}, epochs: {epochs} · test accuracy {accuracy} · "
                     "input {shape}",
                     "{arch} · 在 {dataset} 上训练 {epochs} 轮 · 测试准确率 {accuracy} · 输入 {shape}"),
    "ckpt.gone": ("This session's uploaded and trained checkpoints were removed while no browser showed "
                  "it for more than {seconds} s; upload or train again.",
                  "此会话超过 {seconds} 秒没有浏览器显示，它上传和训练的检查点已被删除；请重新上传或训练。"),
    "ckpt.not_here": ("That checkpoint belongs to another session; showing {name} instead.",
                      "该检查点属于另一个会话；改为显示 {name}。"),
    # ---- connections
    "conn.title": ("Connection strength in a trained DenseNet", "训练后 DenseNet 的连接强度"),
    "conn.intro": ("Each cell says how strongly target layer ℓ (column) uses the feature maps of source "
                   "layer s (row) of the same dense block; s = 0 is the block's input. The outlined last "
                   "column is the transition (or, after the last block, the classifier).",
                   "每个格子表示同一稠密块中目标层 ℓ（列）对源层 s（行）特征图的依赖程度；s = 0 是块的输入。"
                   "带框的最后一列是过渡层（最后一个块之后是分类器）。"),
    "conn.normalize": ("Weight heatmap scale", "权重热图的刻度"),
    "conn.norm.none": ("mean |w|", "平均 |w|"),
    "conn.norm.target": ("÷ column maximum", "÷ 列最大值"),
    "conn.norm.global": ("÷ network maximum", "÷ 全网络最大值"),
    "conn.weights": ("Weight-based (paper Fig. 5)", "基于权重（论文图 5）"),
    "conn.attribution": ("Attribution-based ({n} test images)", "基于归因（{n} 张测试图像）"),
    "conn.colorbar.none": ("mean |w|", "平均 |w|"),
    "conn.colorbar.target": ("mean |w| ÷ column max", "平均 |w| ÷ 列最大值"),
    "conn.colorbar.global": ("mean |w| ÷ global max", "平均 |w| ÷ 全局最大值"),
    "conn.colorbar.share": ("share of column", "占该列的比例"),
    "conn.source": ("source layer s", "源层 s"),
    "conn.target": ("target layer ℓ", "目标层 ℓ"),
    "conn.block_input": ("block input", "块输入"),
    "conn.transition": ("transition", "过渡层"),
    "conn.classifier": ("classifier", "分类器"),
    "conn.trans_short": ("trans.", "过渡"),
    "conn.class_short": ("classif.", "分类"),
    "conn.figure_title": ("{block} · {kind}", "{block} · {kind}"),
    "conn.block": ("Dense block {b}", "稠密块 {b}"),
    "conn.beside_title": ("Side by side with another shipped checkpoint",
                          "与另一个随附检查点并排比较"),
    "conn.beside": ("Weight-based heatmaps beside those of", "把权重热图与此检查点并排"),
    "conn.beside_none": ("(none)", "（不比较）"),
    "conn.block_caption": ("k0 = {k0} input channels, growth rate k = {k}, {layers} layers",
                           "输入 k0 = {k0} 个通道，增长率 k = {k}，共 {layers} 层"),
    "conn.explain_weights": ("Weight-based strength (the paper's Fig. 5): the mean absolute weight a "
                             "layer's first convolution gives to the channels coming from each earlier "
                             "layer. It describes the trained network itself, whatever the input.",
                             "基于权重的强度（论文图 5）：某层第一个卷"
                             "积赋予来自每个前面层的通道的平均绝对权重。"
                             "它描述训练好的网络本身，与输入无关。"),
    "conn.explain_attribution": ("Attribution-based strength: for the given images, |gradient × "
                                 "activation| at the input of each layer, averaged over the channels of "
                                 "each source (as the weight map averages over input maps), as a share of "
                                 "that layer's total. It shows how much of the evidence for the predicted "
                                 "class flows through each connection for these inputs.",
                                 "基于归因的强度：对给定的图像，在每层的输入处计算 |梯度 × 激活|，"
                                 "按来源对通道取平均（与权重图对输入特征图取平均一样），再除以该层的总和。"
                                 "它显示对这些输入而言，支持预测类别的证据有多少经过每条连接。"),
    "conn.from_data_min": ("Colour scale from the smallest value", "颜色刻度从最小值开始"),
    "conn.from_data_min_help": ("Off: every colour bar starts at 0, so a dark cell means a weak "
                                "connection. On: the palette spans only the values present, which "
                                "magnifies small differences.",
                                "关闭：所有颜色条从 0 开始，深色格子才表示弱连接。打开：调色板只覆盖"
                                "出现的数值，会放大很小的差别。"),
    "conn.obs.intro": ("**The paper's four observations** (Huang et al. 2017, §5), tested on the "
                       "weights of {name} (each column ÷ its maximum; a source is *strong* at ≥ {strong}):",
                       "**论文的四条观察**（Huang 等，2017，第 5 节），用 {name} 的权重检验"
                       "（每列 ÷ 该列最大值；数值 ≥ {strong} 的来源算作*强*）："),
    "conn.obs.holds": ("holds here", "在此成立"),
    "conn.obs.fails": ("does not hold here", "在此不成立"),
    "conn.obs.na": ("cannot be tested on this network", "这个网络无法检验"),
    "conn.obs.spread": ("All layers spread their weights over many inputs within the same block, so "
                        "features of early layers are used directly by deep layers",
                        "同一块内的每一层都把权重分散到许多输入上，因此早期层的特征被深层直接使用"),
    "conn.obs.spread.figure": (" ({value:.0%} of a layer's sources are strong, on average; needs ≥ 50 %)",
                               "（平均每层 {value:.0%} 的来源是强的；需要 ≥ 50%）"),
    "conn.obs.transition": ("The transition layers also spread their weights across all layers of the "
                            "preceding block", "过渡层同样把权重分散到前一个块的所有层上"),
    "conn.obs.transition.figure": (" (at least {value:.0%} of the sources are strong in every "
                                   "transition; needs ≥ 50 %)",
                                   "（每个过渡层至少 {value:.0%} 的来源是强的；需要 ≥ 50%）"),
    "conn.obs.least_input": ("Layers of the second and third block give the least weight to the "
                             "transition's output (source 0): it is redundant, which motivates "
                             "compression (DenseNet-BC)",
                             "第二、三个块中的层给过渡层输出（源 0）的权重最小：这些特征是冗余的，"
                             "这正是压缩（DenseNet-BC）的动机"),
    "conn.obs.least_input.figure": (" (source 0 is the weakest for {value:.0%} of those layers; needs "
                                    "> 50 %)", "（这些层中 {value:.0%} 的最弱来源是源 0；需要 > 50%）"),
    "conn.obs.classifier": ("The classifier uses the whole last block but concentrates on its final "
                            "feature maps", "分类器使用整个最后一个块，但集中在最后的特征图上"),
    "conn.obs.classifier.figure": (" (the last quarter of its sources is {value:.2f}× as strong as the "
                                   "rest; needs > 1)",
                                   "（其最后四分之一的来源强度是其余的 {value:.2f} 倍；需要 > 1）"),
    "conn.download_csv": ("Download both heatmaps (CSV)", "下载两种热图（CSV）"),
    "conn.png_note": ("PNG: hover a chart and click the camera icon at its top right.",
                      "PNG：把鼠标移到图上，点击右上角的相机图标。"),
    "conn.hover_value": ("value", "数值"),
    # ---- attributions
    "attr.title": ("Which pixels decide the prediction?", "哪些像素决定了预测？"),
    "attr.method": ("Method", "方法"),
    "attr.integrated_gradients": ("Integrated Gradients", "积分梯度"),
    "attr.saliency": ("Saliency (|gradient|)", "显著图（|梯度|）"),
    "attr.grad_cam": ("Grad-CAM (last block)", "Grad-CAM（最后一个块）"),
    "attr.method_help.integrated_gradients": (
        "Sums the gradients along a straight path from a black image to this one (32 steps).",
        "沿着从全黑图像到这张图像的直线路径累加梯度（32 步）。"),
    "attr.method_help.saliency": ("The absolute gradient of the class score at each pixel.",
                                  "类别得分对每个像素的梯度的绝对值。"),
    "attr.method_help.grad_cam": ("Gradient-weighted activations of the last block, enlarged to the image.",
                                  "最后一个块的梯度加权激活，放大到图像大小。"),
    "attr.outline": ("image outline", "图像轮廓"),
    "attr.empty_maps": ("{method} found nothing that raises the predicted class's score in {count} of "
                        "these images: their maps are black (all 0), not missing.",
                        "{method} 在其中 {count} 张图像中没有找到提高预测类别得分的区域："
                        "它们的图全黑（全为 0），并非缺失。"),
    "attr.gallery": ("Test images of the {dataset} set (one per class)",
                     "{dataset} 数据集的测试图像（每类一张）"),
    "attr.other_gallery": ("This checkpoint was trained on {trained}, whose test images this server does "
                           "not have: the images shown are {shown}'s.",
                           "该检查点在 {trained} 上训练，而此服务器没有它的测试图像："
                           "下面显示的是 {shown} 的图像。"),
    "attr.upload": ("Or upload your own image (PNG, JPEG, …)", "或上传你自己的图像（PNG、JPEG 等）"),
    "attr.upload_help": ("Up to {cap} MB. Converted to the checkpoint's channels and resized to its input; "
                         "a dark digit on light paper is inverted to match the training data.",
                         "最大 {cap} MB。会转换为检查点的通道数并缩放到其输入大小；"
                         "浅色纸上的深色数字会被反色，以匹配训练数据。"),
    "attr.image_too_big": ("This image is {size:.0f} MB; images up to {cap} MB are accepted (a photo or a "
                           "drawing is far smaller): save it smaller and upload it again.",
                           "这张图像有 {size:.0f} MB；最大接受 {cap} MB 的图像（照片或手绘图远小于此）："
                           "请存成更小的文件后重新上传。"),
    "attr.uploaded_note": ("Your image: {size} pixels, mode {mode} → {shape}{inverted}.",
                           "你的图像：{size} 像素，模式 {mode} → {shape}{inverted}。"),
    "attr.inverted": (", inverted (light background)", "，已反色（浅色背景）"),
    "attr.colorbar": ("attribution (1 = strongest pixel of the image)", "归因（1 = 该图中最强的像素）"),
    # ---- inside the network (components/feature_maps_view.py)
    "fmap.title": ("Inside the network: an image, stage by stage", "网络内部：一张图像逐阶段的变化"),
    "fmap.help": ("The activations after each block (or, without blocks, after the last layer at each "
                  "feature-map size): the channels with the largest mean activation, as images. Early "
                  "stages keep the picture's shape; later ones are smaller and more abstract.",
                  "每个块之后的激活（没有块的网络：每种特征图大小的最后一层之后）：平均激活最大的通道，"
                  "以图像显示。前面的阶段保留图像的形状；后面的更小、更抽象。"),
    "fmap.untrained": ("These weights are random: this model has not been trained, so its channels "
                       "respond to nothing in particular and the maps are blurred, mixed copies of the "
                       "image. A trained network's early channels pick out edges and textures and its later "
                       "ones the parts of a class: the buttons at the end of this tab explore networks "
                       "trained on Fashion-MNIST.",
                       "这些权重是随机的：该模型未经训练，它的通道不针对任何特征，特征图只是图像模糊、混合后的"
                       "副本。训练过的网络，前面的通道提取边缘和纹理，后面的通道对应类别的部件："
                       "本页末尾的按钮可探索在 Fashion-MNIST 上训练过的网络。"),
    "inside.trained": ("Trained weights: {file}, trained on {dataset} for {epochs} epochs (test accuracy "
                       "{accuracy}), shipped with this app for exactly this model and input.",
                       "训练过的权重：{file}，在 {dataset} 上训练了 {epochs} 轮（测试准确率 {accuracy}），"
                       "随本应用提供，正是这个模型和输入。"),
    "inside.trained_offer": ("The same images through a network trained here, with its weights:",
                             "同样的图像，送入一个在这里训练过的网络（使用其权重）："),
    "inside.open_trained": ("{network} ({dataset}, accuracy {accuracy})",
                            "{network}（{dataset}，准确率 {accuracy}）"),
    "fmap.images_of": ("Images: the first of each class of {dataset}'s test set, resized to the model's "
                       "input {shape}.",
                       "图像：{dataset} 测试集每个类别的第一张，缩放到模型的输入 {shape}。"),
    "fmap.image": ("Image", "图像"),
    "fmap.test_image": ("test image: {label}", "测试图像：{label}"),
    "fmap.your_image": ("your uploaded image", "你上传的图像"),
    "fmap.point": ("Stage (module path)", "阶段（模块路径）"),
    "fmap.every": ("Every layer", "每一层"),
    "fmap.every_help": ("Offer every layer with a feature map, not only the stages (a module used more "
                        "than once, such as a residual block's ReLU, shows its last output).",
                        "列出每个输出特征图的层，而不只是各阶段"
                        "（被多次调用的模块，如残差块的 ReLU，显示最后一次的输出）。"),
    "fmap.figure_title": ("After {point}: output {shape}, values {low} to {high}; its {top} channels of "
                          "largest mean activation",
                          "{point} 之后：输出 {shape}，取值 {low} 到 {high}；平均激活最大的 {top} 个通道"),
    "fmap.panel": ("channel {channel} · mean {mean}", "通道 {channel} · 均值 {mean}"),
    "fmap.colorbar": ("activation (one scale for every panel)", "激活值（所有小图同一色标）"),
    "erf.title": ("How far one output of {point} sees: position ({row}, {col}) of its {out} map",
                  "{point} 的一个输出能看多远：其 {out} 特征图上的位置 ({row}, {col})"),
    "erf.left": ("the image ({side} pixels)", "图像（{side} 像素）"),
    "erf.right": ("effective field of that one output", "该输出的有效感受野"),
    "erf.colorbar": ("|∂ output / ∂ input| (1 = largest)", "|∂ 输出 / ∂ 输入|（1 = 最大）"),
    "erf.square": ("the blue square is its theoretical receptive field, {field}×{field} pixels (the image "
                   "is {side}; the jump between neighbouring outputs: {jump} px)",
                   "蓝色方框是它的理论感受野，{field}×{field} 像素"
                   "（图像为 {side}；相邻输出的跳距：{jump} 像素）"),
    "erf.whole": ("in theory it sees the whole input", "理论上它能看到整个输入"),
    "erf.caption": ("Left: the image. Right: its effective receptive field (Luo et al. 2016): how much "
                    "each input pixel changes that one output, for this image and these weights; {theory}. "
                    "The effective field is usually much smaller than the theoretical one, and "
                    "brightest at its centre.",
                    "左：图像。右：其有效感受野（Luo 等，2016）：对这张图像和这些权重，每个输入像素对该输出"
                    "的影响有多大；{theory}。有效感受野通常比理论感受野小得多，且中心最亮。"),
    "fmap.prediction": ("At the end: **{label}**, probability {probability}.",
                        "最终：**{label}**，概率 {probability}。"),
    "attr.panel": ("predicted {pred} ({prob})", "预测 {pred}（{prob}）"),
    "attr.panel_true": ("true {label}", "真实 {label}"),
    "attr.figure_title": ("{method}: bright = pixels that raised the predicted class's score",
                          "{method}：亮处 = 提高了预测类别得分的像素"),
    "attr.row_image": ("image", "图像"),
    "attr.row_map": ("attribution", "归因"),
    "attr.wrong": ("Red titles mark wrong predictions.", "红色标题表示预测错误。"),
    # ---- train
    "train.title": ("Train a network", "训练一个网络"),
    "train.model": ("Model", "模型"),
    "train.dataset": ("Dataset", "数据集"),
    "train.dataset_help": ("The datasets this server offers (its deployer chooses them); nothing is "
                           "downloaded.", "本服务器提供的数据集（由部署者选定）；不会下载任何东西。"),
    "train.epochs": ("Epochs", "训练轮数"),
    "train.batch": ("Batch size", "批量大小"),
    "train.size": ("Training images", "训练图像数"),
    "train.size_all": ("all", "全部"),
    "train.size_help": ("How many images of the training set a run learns from (a stratified sample, the "
                        "same for every run); accuracy is always measured on the whole test set.",
                        "每次训练使用训练集中的多少张图像（分层抽样，每次相同）；准确率始终在完整测试集上测量。"),
    "train.no_fashion": ("Fashion-MNIST, the book's dataset, is not installed on this server: the "
                         "embedded digits are used (install the Debian package dataset-fashion-mnist).",
                         "此服务器未安装本书的数据集 Fashion-MNIST：改用内置的 digits（安装 Debian 软件包 "
                         "dataset-fashion-mnist 即可）。"),
    "train.optimizer": ("Optimizer", "优化器"),
    "train.start": ("Start training", "开始训练"),
    "train.stop": ("Stop", "停止"),
    "train.running": ("Epoch {epoch}/{epochs}, batch {step}/{steps}, {speed:,.0f} examples/s",
                      "第 {epoch}/{epochs} 轮，第 {step}/{steps} 批，每秒 {speed:,.0f} 个样本"),
    "train.starting": ("Preparing the data and the model…", "正在准备数据和模型……"),
    "train.waiting": ("Waiting: other sessions are training or measuring GPU memory; yours starts when "
                      "one of them ends.",
                      "等待中：其他会话正在训练或测量 GPU 显存；其中一个结束后就开始你的训练。"),
    "train.finished": ("Finished: test accuracy {accuracy} after epoch {epochs} ({seconds:.0f} s).",
                       "完成：{epochs} 轮后测试准确率 {accuracy}（{seconds:.0f} 秒）。"),
    "train.stopped": ("Stopped. The checkpoint holds the last completed epoch ({epochs}).",
                      "已停止。检查点保存的是最后完成的一轮（第 {epochs} 轮）。"),
    "train.stopped_early": ("Stopped before the first epoch ended: no checkpoint was written.",
                            "在第一轮结束前停止：没有写出检查点。"),
    "ckpt.upload_full_user": ("Not uploaded: your sessions' files already take {used:,.0f} MiB of the "
                              "{budget:,} MiB one user may keep on this server. Close another tab with "
                              "an upload, or upload a smaller file.",
                              "未上传：你的会话文件已占用每位用户在本服务器上最多可保留的 "
                              "{budget:,} MiB 中的 {used:,.0f} MiB。"
                              "请关闭另一个有上传文件的标签页，或上传更小的文件。"),
    "ckpt.upload_full_server": ("Not uploaded: the server's files already take {used:,.0f} MiB of the "
                         "{budget:,} MiB it keeps for all sessions. Try again later, or a smaller file.",
                         "未上传：服务器上的文件已占用为所有会话保留的 {budget:,} MiB 中的 {used:,.0f} MiB。"
                         "请稍后再试，或上传更小的文件。"),
    "train.time_budget": ("The run reached this server's time budget for one run ({minutes:.0f} min) "
                          "and stopped.",
                          "本次训练达到了服务器对单次训练的时间上限（{minutes:.0f} 分钟），已停止。"),
    "train.refused_queue": ("The server's training queue is full ({limit} runs running or waiting): "
                            "start yours when one has finished.",
                            "服务器的训练队列已满（{limit} 个正在运行或等待）：请等其中一个结束后再开始。"),
    "train.refused_user": ("You already have {limit} runs running or waiting on this server: stop one "
                           "or wait until one has finished.",
                           "你在此服务器上已有 {limit} 个正在运行或等待的训练：请先停止一个或等它结束。"),
    "train.download": ("Download checkpoint (.safetensors)", "下载检查点（.safetensors）"),
    "train.open": ("Open in Connections", "在“连接强度”中打开"),
    "train.loss_title": ("Training loss", "训练损失"),
    "train.loss_y": ("cross-entropy loss", "交叉熵损失"),
    "train.epoch_x": ("epoch", "轮"),
    "train.batch_loss": ("batch", "每批"),
    "train.epoch_loss": ("epoch mean", "每轮平均"),
    "train.acc_title": ("Accuracy after each epoch", "每轮结束时的准确率"),
    "train.acc_y": ("accuracy (%)", "准确率（%）"),
    "train.train_acc": ("training set", "训练集"),
    "train.test_acc": ("test set", "测试集"),
    "train.speed": ("{speed:,.0f} examples/s on {device}", "{device} 上每秒 {speed:,.0f} 个样本"),
    "train.cpu_note": ("Training runs on this server's CPU: keep models small. The time an epoch takes "
                       "is measured before you start.",
                       "训练在服务器的 CPU 上运行：请使用小模型。开始之前会先测量每轮需要的时间。"),
    "train.precision": ("Precision", "精度"),
    "train.precision_help": ("auto: bf16 autocast where the processor multiplies bf16 natively (a CUDA "
                             "GPU, a CPU with AMX or AVX512-BF16), fp32 elsewhere. bf16 trains faster "
                             "at the same accuracy; weights and the optimizer stay fp32.",
                             "auto：处理器原生支持 bf16 乘法时（CUDA GPU，或带 AMX、AVX512-BF16 的 CPU）"
                             "使用 bf16 自动混合精度，否则使用 fp32。bf16 训练更快、准确率不变；"
                             "权重和优化器仍为 fp32。"),
    "train.precision_used": ("Precision: {reason}", "精度：{reason}"),
    "train.measuring": ("Measuring how long an epoch takes here…", "正在测量这里每轮需要多长时间……"),
    "train.duration_s": ("{seconds} s", "{seconds} 秒"),
    "train.duration_min": ("{minutes:.1f} min", "{minutes:.1f} 分钟"),
    "train.estimate": ("One epoch of this run takes about **{duration}** on this server: "
                       "{images:,} training images at {speed:,.0f} examples/s, then the test pass over "
                       "{tests:,} images (measured just now with a few real steps; {reason}).",
                       "这次训练每轮在本服务器上约需 **{duration}**：{images:,} 张训练图像，"
                       "每秒 {speed:,.0f} 个样本，然后在 {tests:,} 张测试图像上评估"
                       "（刚刚用几个真实训练步测得；{reason}）。"),
    "train.more_epochs": ("More epochs", "再训练几轮"),
    "train.continue": ("Continue from epoch {done}", "从第 {done} 轮继续"),
    # ---- memory
    "mem.title": ("Training memory", "训练显存"),
    "mem.no_gpu": ("This server has no CUDA GPU, so nothing here is measured on a GPU. Shown: the "
                   "estimate (counted on the meta device, nothing allocated) and a real training step on "
                   "this CPU at a small batch. GPU measurements made on an H100 are at the bottom.",
                   "这台服务器没有 CUDA GPU，所以这里没有任何数值"
                   "是在 GPU 上测得的。显示的是：估算值（在 meta "
                   "设备上统计，不分配内存）和在本机 CPU 上以小批量真"
                   "实运行一次训练步的测量值。在 H100 上的 GPU "
                   "测量结果列在页面底部。"),
    "mem.gpu": ("GPU: {name}, {total} MiB", "GPU：{name}，{total} MiB"),
    "mem.dtype": ("Precision", "精度"),
    "mem.optimizer": ("Optimizer", "优化器"),
    "mem.measure": ("Measure on the GPU", "在 GPU 上测量"),
    "mem.timeline": ("Show the allocation timeline", "显示内存分配时间线"),
    "mem.job_running": ("Running on the GPU: {action}. Its memory is sampled below, live.",
                        "正在 GPU 上运行：{action}。下方实时显示其内存。"),
    "mem.job_waiting": ("Waiting: another session is using the GPU; “{action}” starts when it ends.",
                        "等待中：另一个会话正在使用 GPU；结束后开始“{action}”。"),
    "mem.timeline_title": ("Allocated memory during one measurement (CUDA allocator history, {device})",
                           "一次测量过程中已分配的内存（CUDA 分配器记录，{device}）"),
    "mem.timeline_x": ("allocator event", "分配器事件"),
    "mem.max_batch": ("Find the largest batch", "寻找最大批量"),
    "mem.max_batch_result": ("Largest batch that fits: {batch} (tried {tried} sizes; memory back to its "
                             "baseline: {restored})",
                             "能放下的最大批量：{batch}（尝试了 {tried} 个大小；"
                             "内存已回到基线：{restored}）"),
    "mem.breakdown": ("One training step at batch {batch}, by phase", "批量 {batch} 的一次训练步骤，按部分"),
    "mem.y": ("memory (MiB)", "内存（MiB）"),
    "mem.live_title": ("Memory during the run (live, sampled every second)",
                       "运行期间的内存（实时，每秒采样）"),
    "mem.live_x": ("time since the run started (s)", "自运行开始的时间（秒）"),
    "mem.live_rss": ("worker process, resident (RSS)", "工作进程常驻内存（RSS）"),
    "mem.live_allocated": ("CUDA allocated (tensors)", "CUDA 已分配（张量）"),
    "mem.live_reserved": ("CUDA reserved (caching allocator)", "CUDA 已保留（缓存分配器）"),
    "mem.live_device_used": ("GPU used, all processes (NVML)", "GPU 已用，所有进程（NVML）"),
    "mem.live_now": ("Memory now: {series}", "当前内存：{series}"),
    "mem.parameters": ("parameters", "参数"),
    "mem.gradients": ("gradients", "梯度"),
    "mem.optimizer_state": ("optimizer state", "优化器状态"),
    "mem.activations": ("activations saved for backward", "为反向传播保存的激活"),
    "mem.workspace": ("workspace", "临时工作区"),
    "mem.estimate": ("estimate", "估算"),
    "mem.measured": ("measured", "实测"),
    "mem.bar": ("{kind}, {device}, {dtype}, batch {batch}", "{kind}，{device}，{dtype}，批量 {batch}"),
    "mem.any_device": ("any device", "任意设备"),
    "mem.peak": ("Peak ({kind}, {device}, {dtype}, batch {batch})",
                 "峰值（{kind}，{device}，{dtype}，批量 {batch}）"),
    "mem.cpu_caption": ("The CPU row runs one real training step at batch {batch} (forward, backward and "
                        "the optimizer's step) and counts the tensors autograd keeps, the gradients and the "
                        "optimizer's state; the estimate beside it is for the same batch, so the two agree "
                        "within 10 %.",
                        "CPU 一行以批量 {batch} 真实运行一次训练步（前向、反向和优化器更新），统计 autograd "
                        "保留的张量、梯度和优化器状态；旁边的估算值使用相同批量，两者相差不超过 10%。"),
    "mem.efficient_title": ("DenseNet: plain vs memory-efficient (estimate)",
                            "DenseNet：普通实现与省内存实现（估算）"),
    "mem.efficient_caption": ("memory_efficient recomputes the concatenation, BN and ReLU of each dense "
                              "layer during backward instead of keeping them: {ratio:.2f}× less peak "
                              "memory in this estimate.",
                              "memory_efficient 在反向传播时重新计算每个稠密层的拼接、BN 和 ReLU，而不是保存"
                              "它们：按此估算，峰值内存减少为 1/{ratio:.2f}。"),
    "mem.plain": ("plain", "普通"),
    "mem.efficient": ("memory_efficient", "省内存"),
    "mem.reference": ("Measured on an NVIDIA H100 (reference, from docs/benchmarks.md)",
                      "在 NVIDIA H100 上的测量结果（参考，来自 docs/benchmarks.md）"),
}
