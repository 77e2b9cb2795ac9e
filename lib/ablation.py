"""Which of LeNet5Modern's departures from the 1998 network matters: one change at a time.

    python -m lib.ablation          # writes results/lenet5_ablation.json (make ablation)

:class:`lib.models.LeNet5Modern` differs from :class:`lib.models.LeNet5` in five ways:
the ReLU for the scaled tanh, max pooling for the trainable subsampling, a full C3 for the
partial table, a linear output read with cross-entropy for the RBF units and the paper's
loss, and PyTorch's default initialisation for the paper's uniform +-2.4 / fan-in.
:class:`LeNet5Variant` makes each of them a switch, so that the 1998 network can be
trained with one change at a time, as Karpathy's reproduction of LeCun et al. (1989)
measured its changes one by one.

:func:`run_ablation` trains every variant of :data:`VARIANTS` from several seeds on the
packaged sample and measures each on held-out training digits only; the sample's test
digits are never touched, so nothing here is chosen on them. The spread between seeds is
recorded beside the means, so that no difference smaller than that noise is read as one.
"""

import argparse
import datetime
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lib.datasets import load_mnist_sample, to_lenet5_input
from lib.models import (
    EuclideanRBF,
    MaskedConv2d,
    ScaledTanh,
    Subsampling,
    _uniform_fan_in_,
    c3_connections,
    digit_prototypes,
    lenet5_loss,
)
from lib.training import hold_out, train

#: The variants the ablation trains: the 1998 network, each change alone, and all five
#: (which is LeNet5Modern). Keys are :class:`LeNet5Variant`'s switches.
VARIANTS = {
    "LeNet5 (1998)": {},
    "ReLU": {"relu": True},
    "max pooling": {"max_pooling": True},
    "full C3": {"full_c3": True},
    "linear output": {"linear_output": True},
    "PyTorch's init": {"torch_init": True},
    # Not a single change: first run (with the ReLU after the subsampling too, see
    # LeNet5Variant) after "ReLU" alone trained far worse than the rest, to see whether
    # that came from the ReLU with the paper's small initial weights.
    "ReLU and PyTorch's init": {"relu": True, "torch_init": True},
    "all five (LeNet5Modern)": {
        "relu": True,
        "max_pooling": True,
        "full_c3": True,
        "linear_output": True,
        "torch_init": True,
    },
}

#: The ablation's settings: the chapter's batch and learning rate (see chapter 5 and
#: :mod:`lib.sample_selection`), half its epochs to halve the time of its 24 runs (39 min
#: of training in all, the sum of the stored runs' seconds, one torch thread each, on a
#: machine shared with other jobs), and the chapter's split of the 5,000 sample digits
#: (4,500 to train, 500 held out).
SETTINGS = {"epochs": 10, "batch_size": 32, "lr": 2e-3, "held_out": 500, "seeds": (0, 1, 2)}

RESULTS_FILE = Path(__file__).resolve().parent.parent / "results" / "lenet5_ablation.json"

#: The variant left out of the pooled seed noise (:func:`noise`), as chapter 5 pools it:
#: "ReLU", whose seeds scatter over tens of points (one fails to train). Decided after
#: the results were seen; the chapter says so.
POOLED_WITHOUT = ("ReLU",)


class LeNet5Variant(nn.Module):
    """LeNet-5 with each of LeNet5Modern's five changes as a switch.

    With every switch off it is :class:`lib.models.LeNet5` (the same layers, parameters
    and initialisation); with every switch on it is :class:`lib.models.LeNet5Modern`.

    Parameters
    ----------
    relu : bool
        ReLU instead of the scaled tanh after the convolutions C1, C3 and C5, where
        LeNet5Modern has its ReLUs; the trainable subsampling layers S2 and S4 then have
        no activation after them (a ReLU there kills maps, see :func:`dead_maps`). F6
        keeps the scaled tanh while the output is the RBF layer: its code must reach the
        prototypes' -1 entries, which a ReLU cannot output; with ``linear_output`` F6 is
        a ReLU too.
    max_pooling : bool
        2x2 max pooling (no parameters, no squashing after it) instead of the trainable
        subsampling.
    full_c3 : bool
        Every C3 map reads all six S2 maps (2,416 parameters instead of 1,516).
    linear_output : bool
        A linear 84 -> 10 layer read through a softmax with cross-entropy, instead of
        the RBF units with fixed prototypes and the paper's equation (9).
    torch_init : bool
        PyTorch's default initialisation of the convolutions and linear layers instead
        of the paper's uniform +-2.4 / fan-in (the subsampling layers, which PyTorch has
        no default for, keep the paper's).
    relu_after_subsampling : bool
        With ``relu``, a ReLU after the trainable subsampling too: the placement of the
        first version of this ablation, which killed maps (:func:`dead_maps`). Not one of
        LeNet5Modern's changes; kept only to show that defect beside the fixed switch.

    Examples
    --------
    >>> from lib.models import parameter_table
    >>> [parameter_table(LeNet5Variant(**VARIANTS[name]))[-1]["parameters"]
    ...  for name in ("LeNet5 (1998)", "full C3", "all five (LeNet5Modern)")]
    [60000, 60900, 61706]
    """

    layer_names = ("c1", "s2", "c3", "s4", "c5", "f6", "output")

    def __init__(
        self,
        relu=False,
        max_pooling=False,
        full_c3=False,
        linear_output=False,
        torch_init=False,
        relu_after_subsampling=False,
    ):
        super().__init__()
        self.relu, self.max_pooling, self.linear_output = relu, max_pooling, linear_output
        self.relu_after_subsampling = relu_after_subsampling
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = nn.MaxPool2d(2) if max_pooling else Subsampling(6)
        self.c3 = nn.Conv2d(6, 16, 5) if full_c3 else MaskedConv2d(c3_connections(), 5)
        self.s4 = nn.MaxPool2d(2) if max_pooling else Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10) if linear_output else EuclideanRBF(digit_prototypes())
        self.squash = ScaledTanh()
        layers = [(self.c1, 25), (self.c5, 400), (self.f6, 120)]
        if full_c3:
            layers.append((self.c3, 150))
        if linear_output:
            layers.append((self.output, 84))
        for layer, fan_in in layers:
            if torch_init:
                layer.reset_parameters()  # what nn.Conv2d and nn.Linear start from
            else:
                _uniform_fan_in_(layer.weight, fan_in)
                _uniform_fan_in_(layer.bias, fan_in)
        if torch_init and not full_c3:
            with torch.no_grad():
                nn.Conv2d.reset_parameters(self.c3)
                self.c3.weight.mul_(self.c3.mask)

    def _act(self, x):
        return F.relu(x) if self.relu else self.squash(x)

    def _pool(self, layer, x):
        # With the ReLU, the subsampling is left linear, as LeNet5Modern puts its ReLUs
        # after the convolutions only: a ReLU after c * sum(window) + b, whose inputs are
        # ReLU outputs (>= 0), is zero for every input whenever c < 0 and b <= 0 (as the
        # paper's initialisation often starts it), and a map that is zero everywhere gets
        # no gradient and stays dead (see :func:`dead_maps`).
        if self.max_pooling:
            return layer(x)
        if self.relu:
            return F.relu(layer(x)) if self.relu_after_subsampling else layer(x)
        return self.squash(layer(x))

    def activations(self, input):
        """The outputs of C1 to C5, each after whatever activation follows it."""
        maps = {"C1": self._act(self.c1(input))}
        maps["S2"] = self._pool(self.s2, maps["C1"])
        maps["C3"] = self._act(self.c3(maps["S2"]))
        maps["S4"] = self._pool(self.s4, maps["C3"])
        maps["C5"] = self._act(self.c5(maps["S4"]))
        return maps

    def code(self, input):
        """F6's output, the 84-value code that the output layer reads."""
        x = self.f6(self.activations(input)["C5"].flatten(1))
        return F.relu(x) if (self.relu and self.linear_output) else self.squash(x)

    def forward(self, input):
        return self.output(self.code(input))

    def predict(self, outputs):
        """The largest score (linear output) or the nearest prototype (RBF)."""
        return outputs.argmax(dim=1) if self.linear_output else outputs.argmin(dim=1)

    def loss(self, outputs, labels):
        """Cross-entropy (linear output) or the paper's equation (9) (RBF)."""
        if self.linear_output:
            return F.cross_entropy(outputs, labels)
        return lenet5_loss(outputs, labels)


def dead_maps(model, images):
    """How many maps of C1 to C5 of a :class:`LeNet5Variant` are zero on every image.

    Such a map passes nothing on and, behind a ReLU, gets no gradient: with no weight
    decay, Adam never moves its coefficient or bias, so it stays dead for the whole run.

    Parameters
    ----------
    model : LeNet5Variant
    images : array_like or torch.Tensor, shape (N, 1, 32, 32)

    Returns
    -------
    dict
        Layer -> (dead maps, all maps), for C1, S2, C3, S4 and C5 (C5's maps are its
        120 units).

    Examples
    --------
    >>> model = LeNet5Variant(relu=True, relu_after_subsampling=True)
    >>> with torch.no_grad():  # S2 map 0: negative coefficient and bias, inputs >= 0
    ...     _ = model.s2.weight.fill_(0.5).data[0].fill_(-0.5)
    ...     _ = model.s2.bias.fill_(0.1).data[0].fill_(-0.1)
    >>> dead_maps(model, torch.rand(4, 1, 32, 32))["S2"]
    (1, 6)
    >>> dead_maps(LeNet5Variant(), torch.rand(4, 1, 32, 32))  # the scaled tanh: none
    {'C1': (0, 6), 'S2': (0, 6), 'C3': (0, 16), 'S4': (0, 16), 'C5': (0, 120)}
    """
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    with torch.no_grad():
        outputs = model.activations(x)
    counts = {}
    for name, maps in outputs.items():
        silent = (maps == 0).flatten(2).all(dim=2).all(dim=0)  # per map: zero everywhere
        counts[name] = (int(silent.sum()), maps.shape[1])
    return counts


def code_spread(model, images):
    """How much F6's code varies from digit to digit, beside its size.

    A network whose code is nearly the same for every digit gives nearly the same output
    for every digit, whatever the digit: it cannot yet tell them apart, and its gradients
    are nearly the same for every digit too.

    Parameters
    ----------
    model : LeNet5Variant
    images : array_like or torch.Tensor, shape (N, 1, 32, 32)

    Returns
    -------
    dict
        ``"spread"``: the standard deviation of each of F6's 84 units over the images,
        averaged over the units; ``"size"``: the mean absolute value of the code.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> x = torch.rand(50, 1, 32, 32)
    >>> found = code_spread(LeNet5Variant(), x)
    >>> sorted(found), found["spread"] > 0
    (['size', 'spread'], True)
    """
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    with torch.no_grad():
        code = model.code(x)
    return {
        "spread": float(code.std(dim=0).mean()),
        "size": float(code.abs().mean()),
    }


def detectable_effect(standard_error, degrees_of_freedom, power=0.8, alpha=0.05):
    """The smallest true difference a two-sided t-test finds with the given power.

    A difference is claimed when it exceeds ``t * standard_error`` (t the two-sided
    critical value at ``alpha``); a true difference ``d`` then passes with probability
    ``power`` when ``d = (t + z_power) * standard_error`` (the normal approximation of
    the power, z_power = 0.84 for 80 %).

    Examples
    --------
    >>> round(detectable_effect(0.335, 12), 2)  # t = 2.18 with 12 degrees of freedom
    1.01
    >>> round(detectable_effect(1.0, 10**6), 2)  # the normal case, 1.96 + 0.84
    2.8
    """
    from scipy import stats

    t = stats.t.ppf(1 - alpha / 2, degrees_of_freedom)
    return float((t + stats.norm.ppf(power)) * standard_error)


def run_ablation(epochs, batch_size, lr, held_out, seeds, variants=None):
    """Train each variant from each seed on the sample; measure it on held-out digits.

    Parameters
    ----------
    epochs, batch_size, lr : int, int, float
        :func:`lib.training.train`'s settings, the same for every run.
    held_out : int
        Training digits of the sample held out (:func:`lib.training.hold_out`, seed 0),
        the same for every run; the sample's test digits are not used.
    seeds : sequence of int
        Torch seeds: each sets the initial weights and the batch order.
    variants : dict, optional
        Name -> :class:`LeNet5Variant` switches. Default :data:`VARIANTS`.

    Returns
    -------
    dict
        ``"runs"``: per variant, the held-out error (percent) after the last epoch for
        each seed, the per-epoch held-out errors, the seconds; ``"noise"``: the pooled
        standard deviation between seeds and the standard error of a difference of two
        variants' means.
    """
    variants = VARIANTS if variants is None else variants
    images, labels = load_mnist_sample("train")
    (x_fit, y_fit), validation = hold_out(to_lenet5_input(images), labels, held_out)
    runs = {}
    for name, switches in variants.items():
        finals, curves, seconds = [], [], []
        for seed in seeds:
            torch.manual_seed(seed)
            model = LeNet5Variant(**switches)
            history = train(
                model, x_fit, y_fit, epochs=epochs, batch_size=batch_size, lr=lr,
                validation=validation, progress=False,
            )  # fmt: skip
            curve = [round(100 * (1 - a), 2) for a in history["val_accuracy"]]
            finals.append(curve[-1])
            curves.append(curve)
            seconds.append(round(sum(history["seconds"]), 1))
        runs[name] = {
            "switches": switches,
            "held_out_error_percent": finals,
            "mean": round(float(np.mean(finals)), 3),
            "std_over_seeds": round(float(np.std(finals, ddof=1)), 3) if len(seeds) > 1 else None,
            "curves": curves,
            "seconds": seconds,
        }
    return {
        "runs": runs,
        "noise": noise(runs, len(seeds), leave_out=POOLED_WITHOUT),
        "noise_leave_out": list(POOLED_WITHOUT),
        "held_out_digits": len(validation[1]),
    }


def noise(runs, n_seeds, leave_out=()):
    """The seeds' pooled standard deviation and the standard error of a difference.

    Each variant's errors over its seeds give a variance; pooled over the variants (each
    with ``n_seeds - 1`` degrees of freedom) they estimate the training's own noise
    better than any one variant's three values can. Two means of ``n_seeds`` runs each
    then differ by chance with a standard error of ``sd * sqrt(2 / n_seeds)``. A variant
    whose seeds scatter far more than the others' (one that sometimes fails to train) would
    dominate the pooled value; ``leave_out`` names variants to pool without.

    Examples
    --------
    >>> noise({"a": {"held_out_error_percent": [1.0, 2.0, 3.0]},
    ...        "b": {"held_out_error_percent": [2.0, 2.0, 2.0]}}, 3)
    {'pooled_std': 0.707, 'difference_standard_error': 0.577, 'degrees_of_freedom': 4}
    """
    variances = [
        np.var(run["held_out_error_percent"], ddof=1)
        for name, run in runs.items()
        if name not in leave_out
    ]
    pooled = float(np.sqrt(np.mean(variances)))
    return {
        "pooled_std": round(pooled, 3),
        "difference_standard_error": round(float(pooled * np.sqrt(2 / n_seeds)), 3),
        "degrees_of_freedom": len(variances) * (n_seeds - 1),
    }


def load_ablation(path=None):
    """The stored result of ``make ablation`` (:data:`RESULTS_FILE` by default)."""
    path = Path(path) if path is not None else RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"path: no ablation results at {path}; `make ablation` writes it")
    return json.loads(path.read_text())


def main(argv=None):
    description = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m lib.ablation", description=description)
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SETTINGS["seeds"]))
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    parser.add_argument(
        "--only", nargs="+", choices=list(VARIANTS), help="run these variants and add them "
        "to the existing output file (same settings), keeping its other runs"
    )  # fmt: skip
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.perf_counter()
    settings = dict(SETTINGS, epochs=args.epochs, seeds=tuple(args.seeds))
    variants = {name: VARIANTS[name] for name in args.only} if args.only else None
    result = run_ablation(**settings, variants=variants)
    result["settings"] = {**settings, "seeds": list(settings["seeds"])}
    seconds = round(time.perf_counter() - started, 1)
    if args.only:
        stored = load_ablation(args.output)
        if stored["settings"] != result["settings"]:
            raise ValueError(f"--only: {args.output} was made with other settings")
        runs = stored["runs"] | result["runs"]
        result["runs"] = {name: runs[name] for name in VARIANTS if name in runs}
        result["noise"] = noise(result["runs"], len(settings["seeds"]), leave_out=POOLED_WITHOUT)
        if "replaced_runs" in stored:  # earlier runs kept, under their own names
            result["replaced_runs"] = stored["replaced_runs"]
    # The training time of the runs the file holds (a re-run replaces a run's seconds with
    # its own), and separately the wall-clock time of this command.
    result["seconds_total"] = round(sum(sum(run["seconds"]) for run in result["runs"].values()), 1)
    result["seconds_this_command"] = seconds
    result["torch_threads"] = 1
    result["torch"] = torch.__version__
    result["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    for name, run in result["runs"].items():
        seeds = ", ".join(f"{e:.1f}" for e in run["held_out_error_percent"])
        print(f"{name:<26} held-out error {run['mean']:.2f} % (seeds: {seeds})")
    minutes = result["seconds_total"] / 60
    print(f"noise: {result['noise']}; {minutes:.1f} min; written to {args.output}")


if __name__ == "__main__":
    main()
