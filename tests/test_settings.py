"""The deployer's settings: a value that breaks its rule stops the server from starting, with the
variable, its value and the rule named; the job budget reaches the workers from the web process."""
import subprocess
import sys

import pytest
from conftest import ROOT

from app import engine, settings


@pytest.mark.parametrize("name, text", [
    ("CNN_EXPLORER_JOB_BUDGET_MIB", "abc"), ("CNN_EXPLORER_JOB_BUDGET_MIB", "-1"),
    ("CNN_EXPLORER_WORKERS", "0"), ("CNN_EXPLORER_TRAINING_SLOTS", "0"),
    ("CNN_EXPLORER_QUERY_SECONDS", "-5"), ("CNN_EXPLORER_TRAIN_QUEUE", "-1"),
    ("CNN_EXPLORER_UPLOAD_BUDGET_MIB", "1e9"), ("CNN_EXPLORER_UPLOAD_BUDGET_MIB", "10000000000"),
])
def test_a_setting_past_its_rule_is_named_with_its_value_and_rule(monkeypatch, name, text):
    monkeypatch.setenv(name, text)
    (problem,) = settings.problems()
    assert problem.startswith(f"{name}={text!r} is not allowed") and "a whole number in [" in problem
    with pytest.raises(settings.SettingError):
        settings.value(name)


def test_unset_or_empty_settings_are_their_defaults(monkeypatch):
    for name in settings.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CNN_EXPLORER_TRAIN_QUEUE", " ")
    assert settings.problems() == []
    assert settings.value("CNN_EXPLORER_TRAIN_QUEUE") == 8
    monkeypatch.setenv("CNN_EXPLORER_TRAIN_QUEUE", "12")
    assert settings.value("CNN_EXPLORER_TRAIN_QUEUE") == 12


def test_the_server_refuses_to_start_with_a_broken_setting():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "CNN_EXPLORER_WORKERS": "0"}
    done = subprocess.run([sys.executable, "-m", "streamlit", "run", "app/server.py", "--server.headless",
                           "true", "--server.port", "8597", "--browser.gatherUsageStats", "false"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 2
    assert "CNN_EXPLORER_WORKERS='0' is not allowed" in done.stderr


def test_the_job_budget_reaches_the_workers_from_the_web_process(monkeypatch):
    """Workers read no setting themselves: the budget the web process has is the one they apply."""
    monkeypatch.setattr(engine.memory_cap, "JOB_BUDGET_MIB", 16)
    result = engine.query("memory.measure_cpu", "densenet121", "{}", 4, (3, 224, 224), "fp32", "sgd")
    assert result["error"]["code"] == "budget" and result["error"]["args"]["budget_mib"] == 16
