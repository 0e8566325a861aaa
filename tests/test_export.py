"""Every exported `code` file, executed on its own, rebuilds a model with the same parameter count."""
import pytest
import torch

import core
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
