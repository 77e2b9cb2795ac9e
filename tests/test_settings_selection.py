"""lib.settings_selection: the full-scale settings checked on held-out digits only."""

import json

import pytest
import torch

from lib import reproduce, settings_selection
from lib.datasets import load_mnist_sample
from lib.models import LeNet5, lenet5_loss
from lib.training import DISTORTIONS, scaled_distortions


def _run(errors, digits=5000):
    return {"validation_digits": digits, "curves": {"validation_error_percent": list(errors)}}


def test_a_settings_check_never_loads_the_test_digits(monkeypatch):
    images, labels = load_mnist_sample("train")

    def load(split, data_dir=None):
        assert split == "train", "a settings check loaded the test digits"
        return images[:240], labels[:240]

    seen = {}
    real_train = reproduce.train

    def watched_train(model, *arguments, **options):
        seen.update(j=model.loss_j, distortions=options["distortions"])
        return real_train(model, *arguments, **options)

    monkeypatch.setattr(reproduce, "load_mnist", load)
    monkeypatch.setattr(reproduce, "VALIDATION_DIGITS", 40)
    monkeypatch.setattr(reproduce, "train", watched_train)
    monkeypatch.setattr(reproduce, "evaluate", lambda *a, **k: pytest.fail("test evaluated"))
    result = reproduce.run(True, epochs=1, batch_size=50, lr=1e-3, seed=0, progress=False,
                           loss_j=3.0, distortion_scale=0.5, touch_test=False)  # fmt: skip
    assert seen == {"j": 3.0, "distortions": scaled_distortions(0.5)}
    assert result["test_error_percent"] is None and "reaches_paper" not in result
    assert result["distortions"] == scaled_distortions(0.5)
    assert result["training"]["loss"].endswith("j = 3")
    assert len(result["curves"]["validation_error_percent"]) == 1


def test_run_candidate_changes_one_setting_and_writes_its_file(tmp_path, monkeypatch):
    calls = []

    def fake_run(distortions, **options):
        calls.append((distortions, options))
        return {"curves": {"validation_error_percent": [1.0]}, "validation_digits": 5000}

    monkeypatch.setattr(reproduce, "run", fake_run)
    settings_selection.run_candidate("distortions", "distortion_scale", 1.5, folder=tmp_path)
    distortions, options = calls[0]
    assert distortions is True and options["touch_test"] is False and options["seed"] == 0
    expected = {**settings_selection.BASELINE["distortions"], "distortion_scale": 1.5}
    assert {key: options[key] for key in expected} == expected
    saved = json.loads((tmp_path / "distortions_distortion_scale_1.5.json").read_text())
    assert saved["selection"] == {"kind": "distortions", "setting": "distortion_scale",
                                  "value": 1.5}  # fmt: skip


def test_the_rule_keeps_the_current_value_unless_an_alternative_is_clearly_lower():
    assert settings_selection.choose(0.9, {1: 0.75}, threshold=0.163)["replace"] is False
    assert settings_selection.choose(0.9, {1: 0.70, 2: 0.72}, 0.163) == {
        "best": 1, "gain": 0.2, "replace": True}  # fmt: skip
    with pytest.raises(ValueError, match="tried must hold"):
        settings_selection.choose(0.9, {}, 0.163)


def test_held_out_error_follows_the_stopping_rule():
    # the last epoch is kept unless an earlier one is lower by more than one SE (0.13)
    assert settings_selection.held_out_error(_run([1.0, 0.88, 0.95])) == 0.95
    assert settings_selection.held_out_error(_run([1.0, 0.60, 0.95])) == 0.60


def test_noise_needs_two_seeds_per_kind():
    with pytest.raises(ValueError, match=r"seed_runs\['plain'\] needs at least two seeds"):
        settings_selection.noise({"plain": [_run([0.9])]})


def test_summary_reads_the_saved_candidates(tmp_path, monkeypatch):
    seeds = {"plain": [_run([0.9]), _run([1.04]), _run([0.92])],
             "distortions": [_run([0.82]), _run([0.80]), _run([0.86])]}  # fmt: skip
    monkeypatch.setattr(settings_selection, "baseline_runs", lambda folder=None: seeds)
    (tmp_path / "plain_lr_0.001.json").write_text(json.dumps(_run([1.32])))
    (tmp_path / "plain_lr_0.004.json").write_text(json.dumps(_run([0.6])))
    (tmp_path / "plain_batch_size_32.json").write_text(json.dumps(_run([0.8])))
    rows = {(row["kind"], row["setting"]): row
            for row in settings_selection.summary(tmp_path)["settings"]}  # fmt: skip
    assert rows["plain", "lr"]["verdict"] == {"best": 0.004, "gain": 0.3, "replace": True}
    assert rows["plain", "batch_size"]["verdict"] is None  # 128 not run yet
    assert rows["plain", "batch_size"]["tried"] == {32: 0.8, 128: None}


def test_candidates_cover_every_setting_the_issue_names():
    """Epochs, batch, learning rate, distortions and j: each is checked somewhere."""
    checked = {setting for settings in settings_selection.CANDIDATES.values()
               for setting in settings}  # fmt: skip
    assert checked == {"epochs", "batch_size", "lr", "distortion_scale", "loss_j"}
    for kind, settings in settings_selection.CANDIDATES.items():
        for setting, values in settings.items():
            current = settings_selection.BASELINE[kind][setting]
            assert min(values) < current < max(values), (kind, setting)


def test_lenet5_loss_j_is_validated_and_used():
    model = LeNet5(loss_j=2.5)
    distances = torch.tensor([[1.0, 5.0, 9.0], [4.0, 2.0, 3.0]])
    labels = torch.tensor([0, 1])
    assert torch.equal(model.loss(distances, labels), lenet5_loss(distances, labels, j=2.5))
    assert LeNet5().loss_j == 10.0
    with pytest.raises(ValueError, match="loss_j must be positive and finite, got 0"):
        LeNet5(loss_j=0)
    with pytest.raises(TypeError, match="loss_j must be a number, got str"):
        LeNet5(loss_j="10")


def test_scaled_distortions():
    assert scaled_distortions(1.0) == DISTORTIONS
    assert scaled_distortions(2, {"shift": 1.0}) == {"shift": 2.0}
    with pytest.raises(TypeError, match="factor must be a number"):
        scaled_distortions(True)


def test_the_stored_baseline_sets_the_threshold():
    """The frozen runs of the old settings: three seeds of each kind, and 0.163 points."""
    seeds = settings_selection.baseline_runs()
    assert {kind: len(runs) for kind, runs in seeds.items()} == {"plain": 3, "distortions": 3}
    assert all(run["distortions"] in (None, DISTORTIONS) for runs in seeds.values() for run in runs)
    assert round(settings_selection.noise(seeds)["threshold"], 3) == 0.163
