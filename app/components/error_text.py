"""The one place core's errors (and any other user value) meet markdown, in the reader's language.

core raises errors with their structure (field, code, args, suggestion; core/errors.py). English is
core's own message; Chinese is made here from the code and args, so a rule is translated once, not per
message. An error without a known code (a checkpoint's or a dataset's) is shown in core's English.
Every value is escaped: a link's `block_config=![x](http://HOST/t.png)` is shown as text, not fetched.
"""
from __future__ import annotations

import re

from .i18n import language

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
# Streamlit links bare URLs and e-mail addresses in the parsed text, after escapes are resolved: an
# invisible word joiner inside "://", "www." and "@" keeps them text.
_AUTOLINK = re.compile(r"(:(?=//)|(?<=www)(?=\.)|@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape(value) -> str:
    """`value` as literal text inside Streamlit markdown (links, images, HTML, LaTeX, emphasis, bare
    URLs)."""
    return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, str(value)))


def _value(v) -> str:
    if isinstance(v, list):
        return ",".join(map(_value, v))
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


_KIND_ZH = {"int": "整数", "float": "数", "bool": "true 或 false", "str": "字符串",
            "int_list": "逗号分隔的整数列表"}


def _expected_zh(a: dict) -> str:
    if a.get("choices"):
        return "以下之一：" + "、".join(map(_value, a["choices"]))
    text = _KIND_ZH[a["kind"]]
    if a["kind"] == "int_list":
        text += f"（例如 {_value(a['default'])}）"
    if a.get("low") is not None and a.get("high") is not None:
        text = f"[{_value(a['low'])}, {_value(a['high'])}] 内的{text}"
    return text


# code -> (rule, fix) in Chinese, formatted from the error's args.
_FIELD_ZH = {
    "kind": lambda a: (f"不是{_KIND_ZH[a['kind']]}", f"请给出{_expected_zh(a)}"),
    "choice": lambda a: ("必须是 " + "、".join(map(_value, a["choices"])) + " 之一",
                         f"请用{_expected_zh(a)}"),
    "min_len": lambda a: (f"至少需要 {a['min_len']} 项",
                          f"请给出逗号分隔的列表，例如 {_value(a['default'])}"),
    "max_len": lambda a: (f"有 {a['count']} 项，最多允许 {a['max_len']} 项", f"最多给出 {a['max_len']} 项"),
    "nan": lambda a: ("必须是一个数", f"请用{_expected_zh(a)}"),
    "low": lambda a: (f"必须 ≥ {_value(a['low'])}", f"请用{_expected_zh(a)}"),
    "high": lambda a: (f"必须 ≤ {_value(a['high'])}", f"请用{_expected_zh(a)}"),
    "lenet.input_size": lambda a: (f"对两个 {a['kernel_size']}x{a['kernel_size']} 卷积 + 2x2 汇聚"
                                   "阶段来说太小",
                                   f"请用 input_size ≥ {a['min']}，或更小的 kernel_size"),
    "vgg.input_size": lambda a: (f"被减半 {a['blocks']} 次后什么也不剩",
                                 f"请用 input_size ≥ {a['min']}，或更少的块"),
    "vgg.channels": lambda a: (f"有 {a['count']} 项，但 convs_per_block 有 {a['blocks']} 项",
                               "每个块给一个通道数"),
    "alexnet.input_size": lambda a: ("经过三次最大汇聚后没有特征图剩下",
                                     f"请用 input_size ≥ {a['min']}，或更小的 first_stride"),
    "alexnet.first_kernel": lambda a: ("比填充后的输入还大",
                                       f"请用 first_kernel ≤ {a['max']}，或更大的 input_size"),
    "densenet.compression": lambda a: (f"使过渡层 {a['transition']} 的 {a['channels']} 个通道一个不剩",
                                       f"请用 compression ≥ {_value(a['min'])}"),
    "resnet.grouped_basic": lambda a: ("groups 和 width_per_group 决定瓶颈中的 3×3 卷积，基本块没有瓶颈",
                                       "请用 block=bottleneck"),
    "resnet.width_per_group": lambda a: (f"使第一阶段 {a['width']} 通道的瓶颈每组 0 个通道",
                                         f"请用 width_per_group ≥ {a['min']}"),
    "regnet.widths": lambda a: (f"有 {a['count']} 项，但 depths 有 {a['stages']} 项", "每个阶段给一个宽度"),
    "regnet.group_width": lambda a: (f"使阶段 {a['stage']} 的 3×3 卷积有 {a['channels']} 个通道，"
                                     f"不能按每组 {a['group_width']} 个通道整分",
                                     "请换用别的 widths 或 group_width"),
    "regnet.se_ratio": lambda a: (f"把 {a['channels']} 通道的块挤压到 0 个通道",
                                  f"请用 se_ratio ≥ {_value(a['min'])} 或 0"),
}


def _too_small_zh(a: dict) -> str:
    fix = f"请用 ≥ {a['min']}×{a['min']} 的输入" if a.get("min") else "4096×4096 以内没有能用的输入"
    where = f"特征图在 {a['where']} 处塌缩为空" if a.get("where") else "特征图塌缩为空"
    return f"输入 {a['channels']}×{a['height']}×{a['width']} 对 {a['name']} 来说太小：{where}；{fix}"


def _classifier_size_zh(a: dict) -> str:
    size = a["input_size"]
    fix = (f"或设置 input_size={a['height']}" if a["fits"] else
           f"或设置 input_size ≥ {a['min']} 并使用同样大小的输入" if a.get("min") else "")
    return (f"{a['family']} 把最后的特征图展平后接一个按 {size}×{size} 输入设计的全连接层，"
            f"但输入是 {a['height']}×{a['width']}；请用 {size}×{size} 的输入{fix}（只支持正方形输入）")


# Errors about the input as a whole: code -> the whole sentence.
_INPUT_ZH = {
    "input.too_small": _too_small_zh,
    "input.classifier_size": _classifier_size_zh,
    "input.channels": lambda a: (f"输入有 {a['channels']} 个通道，但 in_channels = {a['in_channels']}；"
                                 f"请用 {a['in_channels']} 通道的输入，或设置 in_channels={a['channels']}"),
    "input.too_large": lambda a: f"输入 {a['height']}×{a['width']} 太大：H、W 请 ≤ {a['max']}",
    "input.invalid": lambda a: "输入形状无效：请给出 C,H,W 三个正整数，例如 3,224,224",
    "input.collapse": lambda a: f"特征图在 {a['where']} 处塌缩为空，该层的输入是 {a['shape']}",
    "budget": lambda a: (f"这项任务（{a['what']}）需要 {a['needed_mib']:,} MiB，超过本服务器每项任务允许的 "
                         f"{a['budget_mib']:,} MiB；请减小输入或批量"),
    "batch.range": lambda a: f"batch = {a['value']}：必须是 [{a['low']}, {a['high']}] 内的整数",
    "dataset.not_installed": lambda a: ("此服务器未安装 Fashion-MNIST：请安装 Debian 软件包 "
                                        "dataset-fashion-mnist，或用 fashion-mnist:目录 指明其文件夹，"
                                        "或改用 digits"),
    # the job engine's (app/engine/)
    "job.too_deep": lambda a: (f"这个模型的列表共有 {a['depth']:,} 个块或层；本服务器最多分析 "
                               f"{a['limit']:,} 个（densenet264 有 130 个）：请减少，或在自己的电脑上运行 "
                               "python -m core"),
    "job.deadline": lambda a: (f"任务超过本服务器允许的 {a['seconds']:g} 秒，已被停止；"
                               "请换用更小的模型、批量或输入"),
    "job.memory": lambda a: (f"任务已被停止：其工作进程已结束（超过本服务器每项任务可增加的 "
                             f"{a['cap_mib']:,} MiB 内存，包括模型、批量和数据，或被系统终止）；"
                             "更小的模型、批量、输入或训练集也许可以"),
    "dataset.unreadable": lambda a: "本服务器无法读取这次训练的数据集；请告诉服务器管理员（原因在其日志中），"
                                    "或换一个数据集",
    "job.unreachable": lambda a: f"无法连接计算引擎（Ray，{a['address']}）；请稍后重试，或请管理员检查它",
    "job.busy": lambda a: "计算引擎现在无法接收任务；请一分钟后重试",
    "job.restarting": lambda a: "计算引擎正在重新启动；请几秒钟后重试",
    "job.lost": lambda a: "计算引擎停止了，这项任务随之丢失；训练会保留最后完成的一轮的检查点：可从它继续",
}


def translated(code: str | None) -> bool:
    return code in _FIELD_ZH or code in _INPUT_ZH


def localized(error: dict) -> str:
    """The error in the reader's language, as plain text (not yet escaped)."""
    code, args = error.get("code"), error.get("args") or {}
    if language() != "zh" or not code:
        return error["message"]
    if code in _FIELD_ZH:
        rule, fix = _FIELD_ZH[code](args)
        return f"{args['family']}.{args['name']} = {_value(args['value'])}：{rule}；{fix}"
    if code in _INPUT_ZH:
        return _INPUT_ZH[code](args)
    return error["message"]


def show_if(container, error: dict | None, field: str) -> bool:
    """Show core's error in `container` when it names `field` (beside that field's widget); whether
    it did."""
    if error and error["field"] == field:
        show(container, error)
        return True
    return False


def show(container, error: dict) -> None:
    """core's error in an error box, in the reader's language, every value shown as text."""
    container.error(escape(localized(error)), icon="⚠️")


def show_text(container, text: str) -> None:
    """A message that is not core's (built by the page from user values): escaped as well."""
    container.error(escape(text), icon="⚠️")
