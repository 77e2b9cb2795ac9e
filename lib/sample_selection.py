"""Checking chapter 5's sample-run settings on the 500 held-out digits, never the test set.

Chapter 5 trains ``LeNet5`` and ``LeNet5Modern`` on the packaged sample (4,500 digits,
500 held out by :func:`lib.training.hold_out`) with :data:`SAMPLE_SETTINGS`. Those were
set in November 2026 while the sample's test accuracy was visible. This module checks
them the way they should have been chosen: one change at a time from the current
settings (:data:`SAMPLE_CANDIDATES`), torch seed 0 (the chapter's), both networks
trained as the chapter trains them, every run scored on the 500 held-out digits after
its last epoch; the sample's test digits are never loaded.

:data:`SAMPLE_RULE` decides. It was written down, with the candidates and the
threshold (:func:`threshold`, from the stored ablation), in a commit before any of
these runs was made.

    python -m lib.sample_selection             # run what is missing, then the verdicts
    python -m lib.sample_selection --summary   # the verdicts, running nothing

Every run is added to ``results/sample_settings.json`` (a run already there is not
run again, so an interrupted check resumes).

The loss constant j of the 1998 network (:data:`lib.models.LOSS_J`) is not checked
here: the sample uses the same constant as the full-scale runs, which
:mod:`lib.settings_selection` checks.
"""

import argparse
import datetime
import json
import math
import os
import time
from pathlib import Path

import numpy as np

#: The settings of chapter 5's two sample runs (both networks, torch seed 0).
SAMPLE_SETTINGS = {"epochs": 20, "batch_size": 32, "lr": 2e-3}

#: The alternatives tried, one setting at a time, the others at their current value:
#: one value below and one above the current one.
SAMPLE_CANDIDATES = {
    "epochs": (10, 30),
    "batch_size": (16, 64),
    "lr": (1e-3, 4e-3),
}

#: Digits held out of the sample's 5,000 training digits (the chapter's).
HELD_OUT = 500

#: The networks trained with these settings in chapter 5.
NETWORKS = ("LeNet5 (1998)", "LeNet5Modern")

#: The rule, written before the runs it judges.
SAMPLE_RULE = (
    "score = the mean of the two networks' held-out errors after the last epoch (seed 0); "
    "an alternative replaces the current value only if its score is lower by more than "
    "twice the standard error of a difference of two scores (see threshold); if several "
    "settings pass, only the one with the largest gain changes, and the others are checked "
    "again from there"
)

RESULTS_FILE = Path(__file__).resolve().parent.parent / "results" / "sample_settings.json"


def threshold(ablation=None):
    """The points by which an alternative's score must be lower to replace the current value.

    One network's held-out error on the 500 digits moves between seeds with the standard
    deviation ``s`` that the ablation measured (pooled over its variants, without "ReLU",
    as chapter 5 pools it: :func:`lib.ablation.noise`). A score is the mean of two
    networks' errors, so it moves by ``s / sqrt(2)`` (taking the two networks' seed noise
    as independent); the difference of two scores by ``s``. The threshold is twice that.
    The ablation trained 10 epochs, not 20: its noise stands in for this one's.

    Parameters
    ----------
    ablation : dict, optional
        The ablation's stored results (:func:`lib.ablation.load_ablation` by default).

    Returns
    -------
    dict
        ``"seed_std"`` (s), ``"difference_se"`` and ``"threshold"`` (points).

    Examples
    --------
    >>> runs = {"a": {"held_out_error_percent": [1.0, 2.0, 3.0]},
    ...         "b": {"held_out_error_percent": [2.0, 2.0, 2.0]}}
    >>> threshold({"runs": runs, "settings": {"seeds": [0, 1, 2]}})
    {'seed_std': 0.707, 'difference_se': 0.707, 'threshold': 1.414}
    """
    from lib.ablation import load_ablation, noise

    ablation = load_ablation() if ablation is None else ablation
    pooled = noise(ablation["runs"], len(ablation["settings"]["seeds"]), leave_out=("ReLU",))
    s = pooled["pooled_std"]
    # A score's SD is s / sqrt(2); a difference of two independent scores: sqrt(2) times it.
    difference_se = math.sqrt(2) * (s / math.sqrt(2))
    return {
        "seed_std": round(s, 3),
        "difference_se": round(difference_se, 3),
        "threshold": round(2 * difference_se, 3),
    }


def candidates():
    """The settings to run: the current ones first, then each alternative.

    Examples
    --------
    >>> [label for label, _ in candidates()][:3]
    ['current', 'epochs = 10', 'epochs = 30']
    >>> dict(candidates())["lr = 0.004"]
    {'epochs': 20, 'batch_size': 32, 'lr': 0.004}
    """
    runs = [("current", dict(SAMPLE_SETTINGS))]
    for setting, values in SAMPLE_CANDIDATES.items():
        for value in values:
            runs.append((f"{setting} = {value:g}", {**SAMPLE_SETTINGS, setting: value}))
    return runs


def sample_run(epochs, batch_size, lr, seed=0, progress=False):
    """Train both networks as chapter 5 does, on the sample's 4,500 digits; score them on
    the 500 held out. The sample's test digits are not loaded.

    Returns
    -------
    dict
        Per network: ``"held_out_error_percent"`` after the last epoch, the per-epoch
        ``"curve"`` of held-out errors, and ``"seconds"``; and the ``"score"`` (their mean).
    """
    import torch

    from lib.datasets import load_mnist_sample, to_lenet5_input
    from lib.models import LeNet5, LeNet5Modern
    from lib.training import hold_out, train

    images, labels = load_mnist_sample("train")
    (x_fit, y_fit), held_out = hold_out(to_lenet5_input(images), labels, HELD_OUT)
    result = {}
    for name, network in zip(NETWORKS, (LeNet5, LeNet5Modern), strict=True):
        torch.manual_seed(seed)
        model = network()
        history = train(
            model, x_fit, y_fit, epochs=epochs, batch_size=batch_size, lr=lr,
            validation=held_out, progress=progress,
        )  # fmt: skip
        curve = [round(100 * (1 - a), 2) for a in history["val_accuracy"]]
        result[name] = {
            "held_out_error_percent": curve[-1],
            "curve": curve,
            "seconds": round(sum(history["seconds"]), 1),
        }
    errors = [result[name]["held_out_error_percent"] for name in NETWORKS]
    result["score"] = round(float(np.mean(errors)), 3)
    return result


def choose(current_score, tried, limit):
    """Apply :data:`SAMPLE_RULE` to one setting.

    Parameters
    ----------
    current_score : float
        The current settings' score (percent).
    tried : dict
        ``{value: score}`` of the setting's alternatives.
    limit : float
        :func:`threshold`'s ``"threshold"``.

    Examples
    --------
    >>> choose(1.6, {10: 2.1, 30: 1.5}, limit=0.87)
    {'best': 30, 'gain': 0.1, 'replace': False}
    >>> choose(1.6, {10: 0.6}, limit=0.87)["replace"]
    True
    """
    from lib.settings_selection import choose as choose_by_threshold  # one rule's mechanics

    return choose_by_threshold(current_score, tried, threshold=limit)


def verdicts(results):
    """Every setting's verdict from the stored runs.

    Returns
    -------
    dict
        ``"current"`` (the current settings' score), ``"threshold"``, and
        ``"settings"``: per setting, the alternatives' scores and :func:`choose`'s
        verdict (None until all of its runs are stored); ``"changes"``: the settings the
        rule changes (at most one, the largest gain); ``"complete"``: whether every
        candidate has run (until then, ``"changes"`` is not the check's verdict).
    """
    runs = results["runs"]
    limit = results["threshold"]["threshold"]
    if "current" not in runs:  # a process that ran alternatives only (--only)
        return {"current": None, "threshold": limit, "settings": {}, "changes": {},
                "complete": False}  # fmt: skip
    current = runs["current"]["score"]
    rows = {}
    for setting, values in SAMPLE_CANDIDATES.items():
        labels = {value: f"{setting} = {value:g}" for value in values}
        tried = {value: runs[label]["score"] for value, label in labels.items() if label in runs}
        complete = len(tried) == len(values)
        rows[setting] = {
            "current": SAMPLE_SETTINGS[setting],
            "tried": tried,
            "verdict": choose(current, tried, limit) if complete else None,
        }
    passing = {s: r["verdict"] for s, r in rows.items() if r["verdict"] and r["verdict"]["replace"]}
    changes = {}
    if passing:
        setting = max(passing, key=lambda s: passing[s]["gain"])
        changes[setting] = passing[setting]["best"]
    complete = all(row["verdict"] is not None for row in rows.values())
    return {
        "current": current,
        "threshold": limit,
        "settings": rows,
        "changes": changes,
        "complete": complete,
    }


def load_sample_settings(path=None):
    """The stored check (:data:`RESULTS_FILE` by default)."""
    path = Path(path) if path is not None else RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"path: no sample-settings check at {path}; `python -m lib.sample_selection` writes it"
        )
    return json.loads(path.read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m lib.sample_selection", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--summary", action="store_true", help="print the verdicts only")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    labels = [label for label, _ in candidates()]
    parser.add_argument(
        "--only", nargs="+", choices=labels, metavar="LABEL",
        help=f"run only these (several processes can share the work, each with its own "
        f"--output, merged with --merge); one of {labels}",
    )  # fmt: skip
    parser.add_argument(
        "--merge", nargs="+", type=Path, metavar="FILE",
        help="add the runs of these files to --output, running nothing",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.merge:
        merged = load_sample_settings(args.output)
        for path in args.merge:
            other = load_sample_settings(path)
            if {k: other[k] for k in ("settings", "rule", "threshold", "seed")} != {
                k: merged[k] for k in ("settings", "rule", "threshold", "seed")
            }:
                raise ValueError(f"--merge: {path} was made with another rule or settings")
            merged["runs"].update(other["runs"])
        order = [label for label in labels if label in merged["runs"]]
        merged["runs"] = {label: merged["runs"][label] for label in order}
        args.output.write_text(json.dumps(merged, indent=1) + "\n")
        args.summary = True
    if not args.summary:
        from lib.notebook import setup_notebook
        from lib.reproduce import _lib_commit

        setup_notebook()  # one torch thread and the chapter's vector instructions
        import torch

        stored = json.loads(args.output.read_text()) if args.output.is_file() else {}
        results = {
            "settings": SAMPLE_SETTINGS,
            "candidates": {k: list(v) for k, v in SAMPLE_CANDIDATES.items()},
            "rule": SAMPLE_RULE,
            "threshold": threshold(),
            "held_out_digits": HELD_OUT,
            "seed": 0,
            "runs": stored.get("runs", {}),
        }
        for label, settings in candidates():
            if label in results["runs"] or (args.only and label not in args.only):
                continue
            started, cpu_started = time.perf_counter(), time.process_time()
            run = sample_run(**settings)
            run["settings"] = settings
            run["cpu_seconds"] = round(time.process_time() - cpu_started, 1)
            run["wall_seconds"] = round(time.perf_counter() - started, 1)
            run["load_average"] = [round(load, 2) for load in os.getloadavg()]
            run["commit"] = _lib_commit()
            run["torch_threads"] = torch.get_num_threads()
            run["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            results["runs"][label] = run
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(results, indent=1) + "\n")
            errors = ", ".join(f"{run[n]['held_out_error_percent']:.1f}" for n in NETWORKS)
            print(f"{label}: score {run['score']:.2f} % ({errors}), {run['wall_seconds']:.0f} s")
    report = verdicts(load_sample_settings(args.output))
    if report["current"] is None:
        print(f"{args.output}: no run of the current settings; merge it (--merge) for verdicts")
        return
    print(f"current {SAMPLE_SETTINGS}: score {report['current']:.2f} %; "
          f"threshold {report['threshold']:.2f} points")  # fmt: skip
    for setting, row in report["settings"].items():
        tried = ", ".join(f"{v:g}: {s:.2f} %" for v, s in row["tried"].items())
        verdict = row["verdict"]
        if verdict is None:
            outcome = "incomplete"
        else:
            outcome = f"replace with {verdict['best']:g}" if verdict["replace"] else "keep"
        print(f"{setting:<11} {row['current']:g} | {tried} | {outcome}")


if __name__ == "__main__":
    main()
