"""Every exported `code` file, executed on its own, rebuilds a model with the same parameter count."""
import subprocess
import sys

import pytest
import torch

import core
from core.analysis import analyze
from core.export import export


@pytest.mark.parametrize("name", core.list_presets())
def test_exported_code_rebuilds_the_model(name):
    source = export(name, "code")
    assert "import core" not in source and "from core" not in source  # standalone
    namespace = {"__name__": "exported"}
    with torch.device("meta"):  # same parameters, nothing allocated
        exec(compile(source, f"{name}.py", "exec"), namespace)
        expected = core.build_model(name)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(namespace["net"]) == count(expected)


def test_exported_code_runs_as_a_script(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(export("d2l_densenet", "code", growth_rate=8, block_config=(2, 2)))
    import subprocess
    import sys
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "torch.Size([1, 10])" in result.stdout
    # One file: DenseNet's layout, which its module imports, is written into it after the docstring
    source = path.read_text()
    assert source.startswith('"""DenseNet (Huang et al., 2017)') and "from .densenet_layout" not in source
    assert source.index("def layout(") < source.index("class DenseNet(")


def _smallest_preset_of_each_family() -> list[str]:
    by_family = {}
    for name in core.list_presets():
        family = core.get_config(name).family
        params = analyze(name).trace.total_params
        if family not in by_family or params < by_family[family][1]:
            by_family[family] = (name, params)
    return sorted(name for name, _ in by_family.values())


@pytest.mark.parametrize("name", _smallest_preset_of_each_family())
def test_exported_code_runs_alone_and_builds_the_same_network(name, tmp_path):
    """The .py download is a standalone script: run as written, it builds the configured network and
    prints its output shape and parameter count, which equal core's."""
    path = tmp_path / f"{name}.py"
    path.write_text(export(name, "code"))
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    analysis = analyze(name)
    shape = ", ".join(map(str, analysis.output_shape))
    assert run.stdout.strip() == f"torch.Size([{shape}]) {analysis.trace.total_params} parameters"
