import json
import os
import pathlib

import torch
from hypothesis import HealthCheck, settings

ROOT = pathlib.Path(__file__).resolve().parents[1]
# A copy of shared/reference/reference_figures.json, so the repository tests stand alone;
# test_reference_copy checks it still equals the shared one where that is present.
REFERENCE = pathlib.Path(__file__).with_name("reference_figures.json")
SHARED_REFERENCE = ROOT.parent / "shared" / "reference" / "reference_figures.json"
ARTIFACTS = ROOT / "test-artifacts"

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)  # one thread per xdist worker: no oversubscription of the 2 cores

settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("slow", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def reference_figures() -> dict:
    return json.loads(REFERENCE.read_text())
