"""Checking the full-scale runs' settings on held-out training digits, never the test set.

The full-scale runs' settings (epochs, batch size, learning rate; :data:`BASELINE`) and
two choices the paper leaves open (the loss's constant j, :data:`lib.models.LOSS_J`,
and the distortion ranges, :data:`lib.training.DISTORTIONS`) were fixed in November 2026
while the runs printed their test error after every epoch. This module checks each of
them the way it should have been chosen: one change at a time from the current
settings (:data:`CANDIDATES`), seed 0, every run judged on the 5,000 training digits
that :mod:`lib.reproduce` holds out, and the test digits never loaded
(``touch_test=False``). A run's held-out error is the one of the epoch that
:data:`lib.reproduce.STOPPING_RULE` keeps.

:data:`SELECTION_RULE` decides. It was written down, with the candidates and the
threshold's recipe, before any of these runs was made (the commit that added this
module has no results in ``results/selection/``). An earlier check of the learning rate
alone (0.001 against 0.002, under a rule written after its run) is repeated here under
this one.

    python -m lib.settings_selection                  # every candidate not yet run
    python -m lib.settings_selection --kind plain     # the plain run's candidates only
    python -m lib.settings_selection --summary        # the verdicts, running nothing

Each run writes ``results/selection/<kind>_<setting>_<value>.json``; a candidate whose
file exists is not run again (``--rerun`` forces it), so an interrupted check resumes.
"""

import argparse
import json
import math
import shlex
import sys
from pathlib import Path

import numpy as np

from lib import reproduce
from lib.models import LOSS_J

#: The alternatives tried, one at a time, around the current settings: for each run
#: kind, each setting with the values below and above the current one.
CANDIDATES = {
    "plain": {
        "lr": (1e-3, 4e-3),
        "batch_size": (32, 128),
        "epochs": (8, 16),
        "loss_j": (1.0, 100.0),
    },
    "distortions": {
        "distortion_scale": (0.5, 1.5),
        "epochs": (14, 30),
        "lr": (1e-3, 4e-3),
    },
}

#: The settings in force before the check, which the alternatives are compared with: the
#: runs of seeds 0, 1 and 2 were made with them, and are kept, as they were, in
#: ``results/selection/baseline.json`` (:func:`baseline_runs`), since the check's verdicts
#: replace the main results files' runs. (``lib.reproduce.SETTINGS`` holds the settings
#: chosen.)
BASELINE = {
    kind: {"epochs": epochs, "batch_size": 64, "lr": 2e-3, "loss_j": LOSS_J}
    | {"distortion_scale": 1.0}
    for kind, epochs in (("plain", 12), ("distortions", 20))
}

#: The rule, written before the runs it judges. The threshold is twice the standard
#: error of the difference between two runs' held-out errors: sqrt(2) times the
#: standard deviation of one run's held-out error over seeds 0, 1 and 2 at the
#: current settings, pooled over the plain and the distorted runs (see :func:`noise`).
SELECTION_RULE = (
    "an alternative replaces the current value only if its held-out error is lower by "
    "more than twice the standard error of a difference between two runs "
    "(2 x sqrt(2) x the seeds' pooled standard deviation); otherwise the current value stays"
)

#: Where the runs are written.
SELECTION_FOLDER = reproduce.RESULTS_FILE.parent / "selection"


def candidate_runs(kind=None):
    """The candidates as ``(kind, setting, value)``, in the order they are run.

    Examples
    --------
    >>> candidate_runs("distortions")[:2]
    [('distortions', 'distortion_scale', 0.5), ('distortions', 'distortion_scale', 1.5)]
    >>> len(candidate_runs())
    14
    """
    kinds = list(CANDIDATES) if kind is None else [kind]
    for name in kinds:
        if name not in CANDIDATES:
            raise ValueError(f"kind must be one of {sorted(CANDIDATES)}, got {name!r}")
    return [
        (name, setting, value)
        for name in kinds
        for setting, values in CANDIDATES[name].items()
        for value in values
    ]


def run_file(kind, setting, value, folder=None):
    """The file of one candidate's run.

    Examples
    --------
    >>> run_file("plain", "lr", 4e-3).name
    'plain_lr_0.004.json'
    """
    folder = Path(folder) if folder is not None else SELECTION_FOLDER
    return folder / f"{kind}_{setting}_{value:g}.json"


def settings_of(kind, setting, value):
    """The settings of a candidate: the baseline with one value changed.

    Examples
    --------
    >>> settings_of("plain", "batch_size", 32)["batch_size"]
    32
    >>> settings_of("plain", "lr", 1e-3)["batch_size"]
    64
    >>> settings_of("plain", "momentum", 0.9)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: setting must be one of ['batch_size', ..., 'lr'], got 'momentum'
    """
    settings = dict(BASELINE[kind])
    if setting not in settings:
        raise ValueError(f"setting must be one of {sorted(settings)}, got {setting!r}")
    settings[setting] = value
    return settings


def run_candidate(
    kind, setting, value, folder=None, progress=True, data_dir=None, command=None
):  # fmt: skip
    """Train one candidate (test digits untouched) and write its file; return the run.
    ``command`` is what to record as the run's command (:func:`main` gives its own)."""
    settings = settings_of(kind, setting, value)
    result = reproduce.run(
        kind == "distortions", seed=0, progress=progress, data_dir=data_dir,
        touch_test=False, **settings,
    )  # fmt: skip
    result["selection"] = {"kind": kind, "setting": setting, "value": value}
    if command is not None:
        result["command"] = command
    path = run_file(kind, setting, value, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    return result


def held_out_error(run):
    """A run's held-out error (percent) at the epoch the stopping rule keeps.

    Examples
    --------
    >>> held_out_error({"validation_digits": 5000,
    ...                 "curves": {"validation_error_percent": [1.5, 0.9, 0.92]}})
    0.92
    """
    verdict = reproduce.stopping_epoch(run)
    _, errors = reproduce.error_curve(run)
    return errors[verdict["epoch"] - 1]


def noise(seed_runs):
    """The threshold of :data:`SELECTION_RULE` from the baseline runs of several seeds.

    Parameters
    ----------
    seed_runs : dict
        ``{kind: [run, ...]}``, the baseline's runs of each seed (at least two per kind).

    Returns
    -------
    dict
        ``"errors"`` (held-out errors by kind), ``"std"`` (by kind), ``"pooled_std"``,
        ``"difference_se"`` (sqrt(2) times the pooled SD) and ``"threshold"`` (twice it).

    Examples
    --------
    >>> def run(error):
    ...     return {"validation_digits": 5000, "curves": {"validation_error_percent": [error]}}
    >>> found = noise({"plain": [run(0.9), run(1.04), run(0.92)],
    ...                "distortions": [run(0.82), run(0.8), run(0.86)]})
    >>> round(found["pooled_std"], 4), round(found["threshold"], 3)
    (0.0577, 0.163)
    """
    errors = {kind: [held_out_error(run) for run in runs] for kind, runs in seed_runs.items()}
    for kind, values in errors.items():
        if len(values) < 2:
            raise ValueError(f"seed_runs[{kind!r}] needs at least two seeds, got {len(values)}")
    variances = {kind: float(np.var(values, ddof=1)) for kind, values in errors.items()}
    pooled = math.sqrt(sum(variances.values()) / len(variances))
    return {
        "errors": errors,
        "std": {kind: math.sqrt(v) for kind, v in variances.items()},
        "pooled_std": pooled,
        "difference_se": math.sqrt(2) * pooled,
        "threshold": 2 * math.sqrt(2) * pooled,
    }


def baseline_runs(folder=None):
    """The runs of seeds 0, 1 and 2 at :data:`BASELINE`, as ``{kind: [run, ...]}``."""
    path = (Path(folder) if folder is not None else SELECTION_FOLDER) / "baseline.json"
    saved = json.loads(path.read_text())
    if saved["settings"] != BASELINE:
        raise ValueError(f"{path}: its settings are not BASELINE's")
    return {kind: [runs[kind] for runs in saved["runs"].values()] for kind in CANDIDATES}


def choose(baseline_error, tried, threshold):
    """Apply :data:`SELECTION_RULE` to one setting.

    Parameters
    ----------
    baseline_error : float
        The current value's held-out error, percent.
    tried : dict
        ``{value: held-out error}`` of the alternatives that were run.
    threshold : float
        Points by which an alternative must be lower to replace the current value.

    Returns
    -------
    dict
        ``"best"`` (the alternative with the lowest error), its ``"gain"`` (points below
        the baseline) and ``"replace"`` (the rule's verdict).

    Examples
    --------
    >>> choose(0.90, {1e-3: 1.32, 4e-3: 0.84}, threshold=0.163)
    {'best': 0.004, 'gain': 0.06, 'replace': False}
    >>> choose(0.90, {32: 0.70}, threshold=0.163)["replace"]
    True
    """
    if not tried:
        raise ValueError("tried must hold at least one alternative's error")
    best = min(tried, key=tried.get)
    gain = round(baseline_error - tried[best], 6)
    return {"best": best, "gain": gain, "replace": bool(gain > threshold)}


def summary(folder=None):
    """Every checked setting's verdict, from the saved runs.

    Returns
    -------
    dict
        ``"noise"`` (:func:`noise` of the baseline seeds), and ``"settings"``: one row
        per (kind, setting) with the current value, its held-out error, the alternatives'
        errors (None for one not run yet) and :func:`choose`'s verdict (None until every
        alternative has run).
    """
    seeds = baseline_runs(folder)
    found = noise(seeds)
    rows = []
    for kind, settings in CANDIDATES.items():
        baseline_error = held_out_error(seeds[kind][0])
        for setting, values in settings.items():
            tried = {}
            for value in values:
                path = run_file(kind, setting, value, folder)
                tried[value] = (
                    held_out_error(json.loads(path.read_text())) if path.exists() else None
                )
            complete = all(error is not None for error in tried.values())
            rows.append({
                "kind": kind,
                "setting": setting,
                "current": BASELINE[kind][setting],
                "current_error": baseline_error,
                "tried": tried,
                "verdict": choose(baseline_error, tried, found["threshold"]) if complete else None,
            })  # fmt: skip
    return {"noise": found, "settings": rows}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m lib.settings_selection", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--kind", choices=sorted(CANDIDATES), help="default: both")
    parser.add_argument("--rerun", action="store_true", help="run candidates already saved")
    parser.add_argument("--summary", action="store_true", help="print the verdicts only")
    parser.add_argument("--threads", type=int, default=1, help="torch's threads (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if not args.summary:
        import torch

        torch.set_num_threads(args.threads)
        for kind, setting, value in candidate_runs(args.kind):
            if run_file(kind, setting, value).exists() and not args.rerun:
                continue
            arguments = shlex.join(sys.argv[1:] if argv is None else argv)
            command = f"python -m lib.settings_selection {arguments}".strip()
            run = run_candidate(
                kind, setting, value, progress=not args.no_progress, command=command
            )
            print(f"{kind}, {setting} = {value:g}: held-out {held_out_error(run):.2f} %, "
                  f"{run['seconds_total'] / 60:.1f} min")  # fmt: skip
    report = summary()
    print(f"threshold {report['noise']['threshold']:.3f} points ({SELECTION_RULE})")
    for row in report["settings"]:
        tried = ", ".join(
            f"{value:g}: " + ("not run" if error is None else f"{error:.2f} %")
            for value, error in row["tried"].items()
        )
        verdict = row["verdict"]
        outcome = (
            "incomplete" if verdict is None
            else f"replace with {verdict['best']:g}" if verdict["replace"] else "keep"
        )  # fmt: skip
        print(f"{row['kind']:<12} {row['setting']:<17} {row['current']:g} "
              f"({row['current_error']:.2f} %) | {tried} | {outcome}")  # fmt: skip


if __name__ == "__main__":
    main()
