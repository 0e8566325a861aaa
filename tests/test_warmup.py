"""The start-up warm-up (app/warmup.py) runs every step: a step that raises (a name moved to another
module, say) is logged and skipped by the server, so it must fail here."""
from app import warmup


def test_every_warm_up_step_runs(caplog):
    seconds, failed = warmup.warm()
    assert failed == [], [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert set(seconds) == {"engine", *warmup.STEPS}
