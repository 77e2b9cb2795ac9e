"""lib.sample_selection: chapter 5's sample-run settings checked on held-out digits only."""

import json

import numpy as np
import pytest

from lib import sample_selection
from lib.sample_selection import (
    SAMPLE_CANDIDATES,
    SAMPLE_RULE,
    SAMPLE_SETTINGS,
    candidates,
    choose,
    load_sample_settings,
    threshold,
    verdicts,
)


def test_the_check_never_loads_the_samples_test_digits(monkeypatch):
    import lib.datasets

    images, labels = lib.datasets.load_mnist_sample("train")

    def load(split):
        assert split == "train", "the settings check loaded the test digits"
        return images[:300], labels[:300]

    monkeypatch.setattr(lib.datasets, "load_mnist_sample", load)
    monkeypatch.setattr(sample_selection, "HELD_OUT", 50)
    result = sample_selection.sample_run(epochs=1, batch_size=50, lr=2e-3)
    for name in sample_selection.NETWORKS:
        assert len(result[name]["curve"]) == 1
        # an error on 50 digits is a whole number of digits
        assert result[name]["held_out_error_percent"] % 2 == pytest.approx(0, abs=1e-9)
    expected = np.mean([result[n]["held_out_error_percent"] for n in sample_selection.NETWORKS])
    assert result["score"] == pytest.approx(expected)


def test_candidates_change_one_setting_at_a_time():
    runs = dict(candidates())
    assert runs["current"] == SAMPLE_SETTINGS
    assert len(runs) == 1 + sum(len(values) for values in SAMPLE_CANDIDATES.values())
    for label, settings in runs.items():
        changed = {k for k in settings if settings[k] != SAMPLE_SETTINGS[k]}
        assert len(changed) == (0 if label == "current" else 1), label


def test_threshold_from_the_stored_ablation():
    found = threshold()
    assert found["seed_std"] == pytest.approx(0.436, abs=1e-3)  # chapter 5's pooled SD
    assert found["threshold"] == pytest.approx(2 * found["difference_se"])


def test_choose_replaces_only_beyond_the_threshold():
    assert choose(1.6, {10: 1.0}, limit=0.87)["replace"] is False
    assert choose(1.6, {10: 0.7}, limit=0.87)["replace"] is True
    with pytest.raises(ValueError, match="tried must hold"):
        choose(1.6, {}, limit=0.87)


def test_verdicts_change_at_most_one_setting():
    def run(score):
        return {"score": score}

    results = {
        "threshold": {"threshold": 0.5},
        "runs": {
            "current": run(2.0),
            "epochs = 10": run(1.0),
            "epochs = 30": run(2.0),
            "batch_size = 16": run(1.2),
            "batch_size = 64": run(2.0),
            "lr = 0.001": run(2.0),
        },
    }
    found = verdicts(results)
    assert found["changes"] == {"epochs": 10}  # the largest gain of the two that pass
    assert found["settings"]["lr"]["verdict"] is None  # lr = 0.004 not run
    assert found["complete"] is False


def test_the_stored_check_is_of_these_candidates_and_rule():
    """Chapter 5 prints results/sample_settings.json: it must be what the module runs."""
    stored = load_sample_settings()
    assert stored["settings"] == SAMPLE_SETTINGS and stored["rule"] == SAMPLE_RULE
    assert stored["candidates"] == {k: list(v) for k, v in SAMPLE_CANDIDATES.items()}
    assert stored["threshold"] == threshold()
    for label, settings in candidates():
        run = stored["runs"][label]
        assert run["settings"] == settings
        for name in sample_selection.NETWORKS:
            assert len(run[name]["curve"]) == settings["epochs"]
            assert run[name]["curve"][-1] == run[name]["held_out_error_percent"]
    json.dumps(verdicts(stored))  # the verdicts of every setting can be computed
    assert verdicts(stored)["complete"]
