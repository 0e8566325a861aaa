"""Every real allocation a user can ask for is checked against the job budget first, from the
meta-device estimate: refused before anything is allocated, with a message saying what and why."""
import pytest

import core
from core import budget
from core.attribution import check_budget as check_attribution_budget
from core.memory import measure_cpu, process_rss
from core.train import TrainSettings, train

DIGITS = dict(dataset="digits")  # the embedded set: seconds an epoch (the default is Fashion-MNIST)


def refused(call) -> core.ConfigError:
    before = process_rss()
    with pytest.raises(core.ConfigError) as caught:
        call()
    assert caught.value.code == "budget" and "MiB" in caught.value.message
    # Nothing was allocated: the process grew by less than the smallest of these jobs would take.
    assert process_rss() - before < 200 * 2**20
    return caught.value


def test_a_cpu_memory_pass_at_2048_squared_is_refused_before_allocating():
    """/memory?model=densenet121&h=2048&w=2048 took the server from 0.76 to 7.1 GB."""
    error = refused(lambda: measure_cpu("densenet121", batch=2, input_shape=(3, 2048, 2048)))
    assert error.args_["needed_mib"] > error.args_["budget_mib"]
    measure_cpu("d2l_lenet_bn", batch=2)  # a small pass still runs


def test_training_at_1024_squared_is_refused_and_data_is_resized_per_batch():
    """LeNet-BN at input_size=1024, in_channels=3: the whole set resized took ~22 GB."""
    refused(lambda: train("d2l_lenet_bn", TrainSettings(**DIGITS, epochs=1), input_size=1024, in_channels=3))


def test_training_within_the_budget_resizes_per_batch(tmp_path, monkeypatch):
    """The 8×8 digits trained at 28×28: the images are resized a batch at a time as they are used
    (128 at a time in training, up to 512 in evaluation), never the whole set up front (at 1024², the
    whole set was ~22 GB)."""
    import core.train
    resized, fit = [], core.train.fit_images
    monkeypatch.setattr(core.train, "fit_images",
                        lambda images, *args: resized.append(tuple(images.shape)) or fit(images, *args))
    result = train("d2l_lenet_bn", TrainSettings(**DIGITS, epochs=1, batch_size=128, input_size=28),
                   out=str(tmp_path / "lenet.safetensors"))
    assert result.history and 0 < result.test_accuracy <= 1
    assert all(shape[-2:] == (8, 8) for shape in resized)  # resized from the native size at use
    training, testing = [s[0] for s in resized if s[0] <= 128], [s[0] for s in resized if s[0] > 128]
    assert sum(training) == 1_437 and max(training) == 128  # each training image once, 128 at a time
    assert testing == [360]  # the test set in evaluation's batches (up to 512)
    from core.checkpoints import load_checkpoint
    assert load_checkpoint(tmp_path / "lenet.safetensors").metadata["input_shape"] == "[1, 28, 28]"


def test_attributions_of_a_checkpoint_asking_for_1024_squared_and_64_channels_are_refused():
    config = core.get_config("d2l_lenet_bn", input_size=1024, in_channels=64)
    refused(lambda: check_attribution_budget(config, 10, (64, 1024, 1024), "integrated_gradients"))
    check_attribution_budget(core.get_config("d2l_lenet_bn"), 10, (1, 28, 28), "integrated_gradients")


def test_the_budget_is_the_deployers_setting(monkeypatch):
    monkeypatch.setenv("CNN_EXPLORER_JOB_BUDGET_MIB", "1")
    assert budget.budget_bytes() == 2**20
    with pytest.raises(core.ConfigError, match="more than the 1 MiB a job may use"):
        budget.check("a test", 2 * 2**20, "use less")


def test_a_workers_budget_is_the_one_its_job_was_given(monkeypatch):
    monkeypatch.setenv("CNN_EXPLORER_JOB_BUDGET_MIB", "1")
    with budget.limit(3):
        assert budget.budget_bytes() == 3 * 2**20
    assert budget.budget_bytes() == 2**20
    monkeypatch.setenv("CNN_EXPLORER_JOB_BUDGET_MIB", "abc")
    with pytest.raises(core.ConfigError, match="CNN_EXPLORER_JOB_BUDGET_MIB='abc': use a whole number"):
        budget.budget_bytes()


def test_a_need_up_to_the_budget_passes_and_a_byte_more_is_refused_with_its_figures(monkeypatch):
    monkeypatch.setenv("CNN_EXPLORER_JOB_BUDGET_MIB", "10")
    budget.check("a step", 10 * 2**20, "use less")  # exactly the budget: allowed
    with pytest.raises(core.ConfigError) as caught:
        budget.check("Training densenet121 at 2048²", 10 * 2**20 + 1, "use a smaller input")
    error = caught.value
    assert (error.field, error.code) == ("budget", "budget")
    assert error.message == ("Training densenet121 at 2048² would need 10 MiB, more than the 10 MiB a job "
                             "may use on this server; use a smaller input")
    assert error.args_ == {"what": "Training densenet121 at 2048²", "needed_mib": 10, "budget_mib": 10,
                           "fix": "use a smaller input"}
    with pytest.raises(core.ConfigError) as caught:
        budget.check("x", 3 * 2**30 + 2**29, "y")
    assert "would need 3,584 MiB, more than the 10 MiB" in caught.value.message
    assert caught.value.args_["needed_mib"] == 3584


@pytest.mark.parametrize("text, mib", [("", 768), ("  ", 768), (" 12 ", 12), ("1", 1)])
def test_the_deployers_budget_is_read_as_whole_mib(monkeypatch, text, mib):
    monkeypatch.setenv("CNN_EXPLORER_JOB_BUDGET_MIB", text)
    assert budget.budget_bytes() == mib * 2**20


@pytest.mark.parametrize("text", ["0", "-5", "1.5", "12MiB"])
def test_a_budget_that_is_no_whole_number_of_mib_is_refused_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("CNN_EXPLORER_JOB_BUDGET_MIB", text)
    with pytest.raises(core.ConfigError) as caught:
        budget.budget_bytes()
    assert caught.value.field == "budget"
    assert caught.value.message == (f"CNN_EXPLORER_JOB_BUDGET_MIB={text!r}: use a whole number of MiB ≥ 1, "
                                    "or unset it for the default of 768")


def test_without_the_variable_the_budget_is_768_mib(monkeypatch):
    monkeypatch.delenv("CNN_EXPLORER_JOB_BUDGET_MIB", raising=False)
    assert budget.budget_bytes() == 768 * 2**20
    with budget.limit(5), budget.limit(7):
        assert budget.budget_bytes() == 7 * 2**20
    assert budget.budget_bytes() == 768 * 2**20
    with pytest.raises(RuntimeError), budget.limit(5):
        raise RuntimeError("a job that fails")
    assert budget.budget_bytes() == 768 * 2**20  # the limit ends with its block, however it ends
