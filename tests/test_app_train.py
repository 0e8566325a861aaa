"""AppTest of the Train page: a real (short) run as an engine job (its own worker process), Stop, the
checkpoint to download, opening it in Connections, and bad settings."""
import re
import time

import pytest
from app_support import errors, figure, job_process, slide_captions, start, widget

from app import services
from core.checkpoints import load_checkpoint
from core.connectivity import connection_strength
from core.data import PACKAGED_FASHION_MNIST

TRAIN = "views/train.py"
SMALL_MODEL = "d2l_lenet_bn"


@pytest.fixture(autouse=True)
def digits_only(monkeypatch):
    """Runs here train on the embedded digits (seconds an epoch, not Fashion-MNIST's half a minute);
    the tests of the default dataset remove this."""
    monkeypatch.setenv("CNN_EXPLORER_DATASETS", "digits=digits")


def click(at, key: str):
    next(b for b in at.button if b.key == key).click()
    return at.run()


def wait(at, seconds: float = 240):
    """Until the session's run has finished, then one more script run (as the page's poll does)."""
    run = at.session_state["train.run"]
    deadline = time.monotonic() + seconds
    while not run.done and time.monotonic() < deadline:
        time.sleep(0.5)
    assert run.done
    return at.run()


def test_short_run_writes_a_checkpoint_that_opens_in_connections():
    at = start(page=TRAIN)
    assert dict(at.query_params)["model"] == "densenet40_k12"
    widget(at, "train.epochs").set_value(1).run()
    click(at, "train.start")
    assert not at.exception
    at = wait(at)
    run = at.session_state["train.run"]
    assert run.error is None and len(run.epochs) == 1
    assert at.success[0].value.startswith("Finished: test accuracy")
    assert [figure(at, i)["layout"]["title"]["text"] for i in range(3)] == \
        ["Training loss", "Accuracy after each epoch", "Memory during the run (live, sampled every second)"]
    # The memory curve is the run's samples, one a second or so: the server's RSS without CUDA, the
    # caching allocator's figures with it.
    samples, memory = run.memory.samples, figure(at, 2)["data"]
    first = ("allocated", "CUDA allocated (tensors)") if run.memory.cuda else \
        ("rss", "worker process, resident (RSS)")
    assert len(samples) >= 2 and samples[-1]["t"] > samples[0]["t"]  # the first and the final sample
    assert memory[0]["name"] == first[1]
    assert run.memory.cuda or len(memory) == 1  # no CUDA: RSS is the only series
    assert memory[0]["y"] == [s[first[0]] / 2**20 for s in samples]
    assert at.metric[0].label == f"Memory now: {first[1]}"
    assert at.metric[0].value == f"{samples[-1][first[0]] / 2**20:,.0f} MiB"
    assert [button.proto.ignore_rerun for button in at.get("download_button")] == [True]
    checkpoint = load_checkpoint(run.checkpoint)
    assert checkpoint.metadata["epochs"] == "1"
    # Each chart's slide files name the model, its changes, its input and the weights' dataset and
    # accuracy after the epoch.
    changes = ", ".join(f"{name} = {value}" for name, value in run.changes.items())
    side = "×".join(map(str, checkpoint.input_shape))
    expected = (f"densenet40_k12 · {changes} · input {side} · trained on digits, test accuracy "
                f"{run.epochs[-1]['test_accuracy']:.3f}")
    assert slide_captions(at) == dict.fromkeys(("train.loss_chart", "train.acc_chart", "train.memory_chart"),
                                               expected)
    click(at, "train.open")
    assert not at.exception
    assert at.session_state["ckpt.choice"] == "trained"
    weights = figure(at, 0)["data"][0]["z"]
    assert weights == connection_strength(checkpoint.state_dict)["blocks"][0]["matrix"]


def test_stop_ends_the_run():
    at = start(page=TRAIN)
    widget(at, "train.epochs").set_value(200).run()
    click(at, "train.start")
    click(at, "train.stop")
    at = wait(at)
    run = at.session_state["train.run"]
    assert run.stopped
    assert not at.exception
    if run.epochs:  # stopped after the first epoch's checkpoint: it says which epoch it holds
        assert [s.value for s in at.success] == [
            f"Stopped. The checkpoint holds the last completed epoch ({len(run.epochs)})."]
    else:
        assert [w.value for w in at.warning] == [
            "Stopped before the first epoch ended: no checkpoint was written."]


@pytest.mark.parametrize("field, value, message", [
    ("train.changes", "block_config", "'block_config' is not KEY=VALUE"),
    ("train.changes", "growth_rate=0", "densenet.growth_rate = 0: must be ≥ 1"),
])
def test_bad_settings_show_cores_message(field, value, message):
    at = start(page=TRAIN)
    widget(at, field).set_value(value).run()
    click(at, "train.start")
    if "train.run" in at.session_state:
        at = wait(at)
    assert not at.exception
    assert len(errors(at)) == 1 and errors(at)[0].startswith(message)
    assert next(b for b in at.button if b.key == "train.start")  # ready for another try


def test_a_run_waits_for_a_free_slot_and_can_be_stopped_while_waiting(tmp_path):
    import ray

    from app import engine
    class Holder:  # defined here: Ray sends it to the worker by value
        def ready(self):
            return True
    engine.connect()
    slots = ray.cluster_resources()["training"]
    holder = ray.remote(num_cpus=0, resources={"training": slots})(Holder).remote()
    ray.get(holder.ready.remote())  # every slot taken by other sessions' runs (any replica's)
    try:
        run = services.TrainingRun(SMALL_MODEL, {}, {"epochs": 1, "dataset": "digits"},
                                   str(tmp_path / "w.safetensors"))
        time.sleep(1)
        assert run.waiting and not run.done and not run.batches
        run.stop()
        _until(lambda: run.done, 10)
        assert run.stopped and run.checkpoint is None
    finally:
        ray.kill(holder)


@pytest.mark.parametrize("asked", ["fashion-mnist:/etc", "cifar10:/no/such/folder", "~nosuchuser"])
def test_datasets_come_from_the_deployers_list_and_no_path_is_read_or_shown(asked):
    """`fashion-mnist:/etc` answered "missing /etc/train-images-idx3-ubyte"."""
    at = start({"model": "d2l_lenet_bn", "dataset": asked, "epochs": "²"}, page=TRAIN)
    assert not at.exception
    box = widget(at, "train.dataset")
    assert box.value == next(iter(services.allowed_datasets())) and list(box.options) == \
        list(services.allowed_datasets())
    shown = " ".join(e.value for e in [*at.markdown, *at.caption, *at.error, *at.warning, *at.info])
    assert "/etc" not in shown and "/no/such" not in shown
    assert widget(at, "train.epochs").value == 3  # "²" is no number


def test_a_deployers_dataset_that_cannot_be_read_is_said_without_its_path(monkeypatch):
    """A deployer's `cifar10:/etc` answered students with "missing /etc/data_batch_1.bin"."""
    monkeypatch.setenv("CNN_EXPLORER_DATASETS", "cifar=cifar10:/etc")
    for lang, expected in (("en", "could not read the dataset"), ("zh", "无法读取这次训练的数据集")):
        at = start({"model": SMALL_MODEL, "lang": lang}, page=TRAIN)
        click(at, "train.start")
        at = wait(at)
        shown = " ".join(e.value for e in [*at.markdown, *at.caption, *at.error, *at.warning, *at.info])
        assert expected in shown and "/etc" not in shown and "data_batch" not in shown


def test_the_deployer_names_the_datasets(monkeypatch):
    monkeypatch.setenv("CNN_EXPLORER_DATASETS", "digits, small=digits")
    assert services.allowed_datasets() == {"digits": "digits", "small": "digits"}


def test_a_finished_run_is_in_every_checkpoint_list_and_the_choice_is_shared():
    at = start(page=TRAIN)
    widget(at, "train.epochs").set_value(1).run()
    click(at, "train.start")
    at = wait(at)
    at.switch_page("views/attributions.py").run()
    assert "Trained on the Train page" in widget(at, "ckpt.choice").options  # without pressing "open"
    widget(at, "ckpt.choice").set_value("densenet_bc").run()
    at.switch_page("views/train.py").run()
    at.switch_page("views/connections.py").run()
    assert widget(at, "ckpt.choice").value == "densenet_bc"
    assert not at.exception


def _until(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert condition()


def test_a_run_whose_session_ended_stops_and_keeps_its_last_checkpoint(tmp_path):
    """Runs of up to 1,000 epochs went on after every browser had closed."""
    import gc

    class Session:  # what the run holds weakly: in the app, the session's folder object
        pass
    session = Session()
    run = services.TrainingRun(SMALL_MODEL, {}, {"epochs": 1000, "dataset": "digits"},
                               str(tmp_path / "w.safetensors"),
                               owner=session)
    _until(lambda: run.epochs)
    del session
    gc.collect()
    _until(lambda: run.done, 30)
    assert run.stopped and run.ended_by == "session" and len(run.epochs) < 1000
    assert load_checkpoint(run.checkpoint).metadata["epochs"] == str(len(run.epochs))


def test_a_run_stops_at_its_time_budget(tmp_path):
    run = services.TrainingRun(SMALL_MODEL, {}, {"epochs": 1000, "dataset": "digits"},
                               str(tmp_path / "w.safetensors"),
                               seconds=2)
    _until(lambda: run.done, 60)
    assert run.stopped and run.ended_by == "time" and len(run.epochs) < 1000


@pytest.mark.parametrize("limit, message", [("MAX_TRAINING_PER_USER", "You already have 1 runs"),
                                            ("MAX_QUEUED_TRAINING", "The server's training queue is full")])
def test_training_is_refused_past_the_users_share_and_the_queue(monkeypatch, limit, message):
    monkeypatch.setattr(services.jobs, limit, 1)
    # AppTest cannot give a session a client address or headers (each session's client is a mock), so
    # the two sessions are named one user here; tests/test_hostile_sessions.py names users by the
    # proxy's header on a real server.
    monkeypatch.setattr(services, "user_id", lambda: "student")
    first = start({"epochs": "1000"}, page=TRAIN)
    click(first, "train.start")
    try:
        second = start(page=TRAIN)  # another session of the same user
        click(second, "train.start")
        assert not second.exception and "train.run" not in second.session_state
        assert errors(second)[0].startswith(message)
    finally:
        first.session_state["train.run"].stop()
        wait(first)


def test_without_fashion_mnist_the_page_says_so_once_and_trains_on_digits(monkeypatch, tmp_path):
    monkeypatch.setattr(services.checkpoints, "fashion_mnist_installed", lambda: False)  # the workers' answer

    monkeypatch.delenv("CNN_EXPLORER_DATASETS", raising=False)
    at = start(page=TRAIN)
    assert list(widget(at, "train.dataset").options) == ["digits"]
    assert sum("Fashion-MNIST, the book's dataset, is not installed" in c.value for c in at.caption) == 1
    assert list(widget(at, "train.size").options) == ["all"]


@pytest.mark.skipif(not PACKAGED_FASHION_MNIST.is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed (make test installs it)")
def test_fashion_mnist_is_the_default_with_training_set_sizes(monkeypatch):
    monkeypatch.delenv("CNN_EXPLORER_DATASETS")
    at = start(page=TRAIN)
    assert widget(at, "train.dataset").value == "fashion-mnist"
    assert list(widget(at, "train.size").options) == ["5,000", "20,000", "all"]
    assert widget(at, "train.size").value == 5000
    assert not any("not installed" in c.value for c in at.caption)


@pytest.mark.skipif(not PACKAGED_FASHION_MNIST.is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed (make test installs it)")
def test_a_run_on_the_default_dataset_trains_on_fashion_mnist(monkeypatch):
    """The other runs here train on digits; this one takes the page's defaults: Fashion-MNIST, 5,000
    of its training images, its whole test set."""
    monkeypatch.delenv("CNN_EXPLORER_DATASETS")
    at = start({"model": SMALL_MODEL}, page=TRAIN)
    widget(at, "train.epochs").set_value(1).run()
    click(at, "train.start")
    at = wait(at)
    run = at.session_state["train.run"]
    assert run.error is None and len(run.epochs) == 1
    metadata = load_checkpoint(run.checkpoint).metadata
    assert metadata["dataset"] == "fashion-mnist" and metadata["input_shape"] == "[1, 28, 28]"
    assert 0.5 < float(metadata["test_accuracy"]) < 1  # ten classes: better than chance after 5,000


def test_an_engine_that_cannot_admit_a_run_is_said_and_the_page_carries_on(monkeypatch):
    """The cluster's door that does not answer in time (a cluster too busy: here, no time at all to
    answer) is said on the page (the app's boundary for the engine's failures), not a traceback, and
    Start stays."""
    from app import engine
    at = start(page=TRAIN)
    monkeypatch.setattr(engine.admission, "DOOR_SECONDS", 0)
    click(at, "train.start")
    assert not at.exception and "train.run" not in at.session_state
    assert errors(at) == ["the job engine cannot take a job now; try again in a minute"]
    assert not next(b for b in at.button if b.key == "train.start").disabled  # Start stays usable


def test_the_page_states_a_measured_epoch_time_and_a_run_continues_from_its_last_epoch():
    at = start(page=TRAIN)
    widget(at, "train.model").set_value(SMALL_MODEL).run()
    assert widget(at, "train.changes").value == ""  # the default model's changes stayed with it
    widget(at, "train.epochs").set_value(1).run()
    estimate = next(i.value for i in at.info if i.value.startswith("One epoch of this run takes"))
    # digits: 1,437 training and 360 test images; the time is stated in seconds at this size
    assert "1,437 training images at" in estimate and "360 images" in estimate
    assert re.search(r"takes about \*\*\d+(\.\d)? s\*\*", estimate), estimate
    click(at, "train.start")
    at = wait(at)
    first = at.session_state["train.run"]
    assert [e["epoch"] for e in first.epochs] == [1]
    assert first.precision.startswith("auto: ")
    assert any(c.value == f"Precision: {first.precision}" for c in at.caption)
    widget(at, "train.more_epochs").set_value(2).run()
    at = click(at, "train.continue")
    at = wait(at)
    went_on = at.session_state["train.run"]
    assert went_on is not first and went_on.error is None
    assert [e["epoch"] for e in went_on.epochs] == [2, 3]  # epoch 1 was not trained again
    assert load_checkpoint(went_on.checkpoint).metadata["epochs"] == "3"
    assert went_on.checkpoint == first.checkpoint
    assert at.success[0].value.startswith("Finished: test accuracy")


def test_a_link_to_another_model_does_not_carry_the_default_models_changes():
    """`/train?model=d2l_lenet_bn&dataset=digits`, then Start: the default model's block_config stayed
    and LeNet refused it ("lenet has no field 'block_config'")."""
    at = start({"model": SMALL_MODEL, "dataset": "digits", "epochs": "1"}, page=TRAIN)
    assert widget(at, "train.changes").value == ""
    click(at, "train.start")
    at = wait(at)
    assert not errors(at) and at.session_state["train.run"].error is None
    assert at.session_state["train.run"].changes == {}


def test_a_training_worker_that_crashes_is_said_and_its_last_epoch_kept():
    """The run's worker process dies mid-run (kill -9: the kernel's OOM killer, a crash in native
    code): the page says its worker ended, without a traceback; the checkpoint of its last completed
    epoch stays, loads, and is offered to download or train on; Start works again."""
    at = start(page=TRAIN)
    widget(at, "train.epochs").set_value(200).run()
    click(at, "train.start")
    run = at.session_state["train.run"]
    _until(lambda: run.checkpoint is not None, 240)  # an epoch done
    job_process().kill()
    at = wait(at, 60)
    assert not at.exception and run.error["code"] == "job.memory"
    assert any("its worker process ended" in message for message in errors(at))
    epochs = int(load_checkpoint(run.checkpoint).metadata["epochs"])
    assert 1 <= epochs < 200
    assert {b.key for b in at.button} >= {"train.continue", "train.start"}
    assert at.get("download_button")
    widget(at, "train.epochs").set_value(1).run()
    click(at, "train.start")
    assert wait(at).session_state["train.run"].error is None
