"""Time lib's conv2d, its gradients and pooling's against torch's, as ratios.

    python tools/bench.py [--repeats 9] [--seconds 3] [--statistic median|min]
                          [--only forward|backward|pooling|lenet5|widgets]

For each shape, both run in float32 on one thread (``torch.set_num_threads(1)``, one BLAS
thread for NumPy), in the same process, alternately (round robin) for about 3 seconds per
shape, so that a disturbance of the machine hits both. The table shows each one's median
time, their ratio beside the target ratio, the method that conv2d's "auto" chose, the peak
extra memory lib allocated (beyond what it returns, measured by tracemalloc) and the
largest difference from torch's result. Ratios, unlike times, carry from one machine to
another, roughly.

Three tables: the forward pass (:func:`lib.conv2d` against ``F.conv2d``); one training
step's convolution, forward and all three gradients (:mod:`lib.gradients`) against torch's
forward and autograd's backward (input and weight require gradients); and pooling's
forward and backward against torch's, at LeNet-5's sizes (batch 64). Then one LeNet-5
training step (``tools/bench_lenet5.py``), and the seconds per redraw of each notebook
widget of the book, in a Jupyter kernel (``tools/bench_widgets.py``): not ratios, but
the least wall-clock and CPU seconds over repeats, against the 0.2 s target.
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lib.convolution import _auto_method, conv2d  # noqa: E402
from lib.gradients import (  # noqa: E402
    avg_pool2d_grad,
    conv2d_grad_bias,
    conv2d_grad_input,
    conv2d_grad_weight,
    max_pool2d_grad,
)
from lib.pooling import avg_pool2d, max_pool2d  # noqa: E402
from lib.shapes import padding_sides  # noqa: E402

#: (name, input shape, weight shape, stride, padding, target ratio ours / torch)
CASES = [
    ("LeNet C1", (256, 1, 32, 32), (6, 1, 5, 5), 1, 0, 1.0),
    ("LeNet C3", (256, 6, 14, 14), (16, 6, 5, 5), 1, 0, 2.5),
    ("ResNet 3x3", (8, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1.6),
    ("strided 7x7", (8, 3, 224, 224), (64, 3, 7, 7), 2, 3, 1.5),
    ("large image, k3", (1, 1, 1024, 1024), (1, 1, 3, 3), 1, 0, 0.8),
    ("large image, k15", (1, 1, 1024, 1024), (1, 1, 15, 15), 1, 0, 0.3),
]

#: One training step's convolution at batch 64, forward and backward: (name, input shape,
#: weight shape, target ratio). LeNet-5's three convolutions (issue 21).
BACKWARD_CASES = [
    ("LeNet C1 fwd+bwd", (64, 1, 32, 32), (6, 1, 5, 5), 2.0),
    ("LeNet C3 fwd+bwd", (64, 6, 14, 14), (16, 6, 5, 5), 2.0),
    ("LeNet C5 fwd+bwd", (64, 16, 5, 5), (120, 16, 5, 5), 2.0),
]

#: Pooling, forward and backward, at LeNet-5's sizes: (name, kind, input shape, kernel).
POOLING_CASES = [
    ("max pool S2", "max", (64, 6, 28, 28), 2),
    ("max pool S4", "max", (64, 16, 10, 10), 2),
    ("avg pool S2", "avg", (64, 6, 28, 28), 2),
    ("avg pool S4", "avg", (64, 16, 10, 10), 2),
]


def round_robin(functions, repeats, seconds, statistic="median"):
    """Median (or least) seconds of each function, called alternately after a warm-up:
    ``repeats`` times, or more when they are quick, to fill about ``seconds``."""
    start = time.perf_counter()
    for function in functions:
        function()
    repeats = max(repeats, min(200, int(seconds / (time.perf_counter() - start))))
    times = [[] for _ in functions]
    for _ in range(repeats):
        for function, record in zip(functions, times, strict=True):
            start = time.perf_counter()
            function()
            record.append(time.perf_counter() - start)
    summary = {"median": np.median, "min": np.min}[statistic]
    return [float(summary(record)) for record in times]


def peak_extra_memory(function):
    """Peak bytes that ``function`` allocated through NumPy beyond what it returned."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - _nbytes(result)


def _nbytes(result):
    """Bytes of an array, or of a tuple of arrays."""
    if isinstance(result, tuple):
        return sum(part.nbytes for part in result)
    return result.nbytes


def _largest_difference(ours, theirs):
    """Largest absolute difference between two results (arrays or tuples of them)."""
    if not isinstance(ours, tuple):
        ours, theirs = (ours,), (theirs,)
    return max(
        float(np.abs(a - b.detach().numpy()).max()) for a, b in zip(ours, theirs, strict=True)
    )


def _row(name, shapes, method, times, target, peak, difference):
    """One line of a table; returns whether the ratio is within the target."""
    ours_time, torch_time = times
    ratio = ours_time / torch_time
    ok = target is None or ratio <= target
    verdict = "" if target is None else ("ok" if ok else "SLOW")
    print(
        f"{name:17} {shapes:>40} {method:>7} {ours_time * 1e3:8.2f} {torch_time * 1e3:8.2f} "
        f"{ratio:6.2f} {'' if target is None else '<= ' + str(target):>7} {verdict:4} "
        f"{peak / 2**20:8.1f} {difference:9.1e}",
        flush=True,
    )
    return ok


def forward_table(rng, args):
    """lib.conv2d against F.conv2d; returns the number of shapes over their target."""
    failures = 0
    for name, input_shape, weight_shape, stride, padding, target in CASES:
        x = rng.standard_normal(input_shape, dtype=np.float32)
        w = rng.standard_normal(weight_shape, dtype=np.float32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)

        def ours(x=x, w=w, stride=stride, padding=padding):
            return conv2d(x, w, stride=stride, padding=padding)

        def theirs(tx=tx, tw=tw, stride=stride, padding=padding):
            return F.conv2d(tx, tw, stride=stride, padding=padding)

        times = round_robin([ours, theirs], args.repeats, args.seconds, args.statistic)
        sides = padding_sides(padding, weight_shape[2:])
        out_size = ours().shape[2:]
        method = _auto_method(
            input_shape, weight_shape, (stride, stride), out_size, sides, np.dtype("float32")
        )
        shapes = f"{input_shape} {weight_shape} s{stride} p{padding}"
        peak, difference = peak_extra_memory(ours), _largest_difference(ours(), theirs())
        failures += not _row(name, shapes, method, times, target, peak, difference)
    return failures


def backward_table(rng, args):
    """conv2d and its three gradients against torch's forward and autograd's backward."""
    failures = 0
    for name, input_shape, weight_shape, target in BACKWARD_CASES:
        x = rng.standard_normal(input_shape, dtype=np.float32)
        w = rng.standard_normal(weight_shape, dtype=np.float32)
        b = rng.standard_normal(weight_shape[0], dtype=np.float32)
        out_shape = conv2d(x, w).shape
        g = rng.standard_normal(out_shape, dtype=np.float32)
        tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, w, b, g))
        tx.requires_grad_(True)
        tw.requires_grad_(True)

        def ours(x=x, w=w, b=b, g=g):
            out = conv2d(x, w, b)
            grad_input = conv2d_grad_input(g, w, x.shape)
            grad_weight = conv2d_grad_weight(x, g, w.shape)
            return out, grad_input, grad_weight, conv2d_grad_bias(g)

        def theirs(tx=tx, tw=tw, tb=tb, tg=tg):
            out = F.conv2d(tx, tw, tb)
            grad_input, grad_weight = torch.autograd.grad(out, (tx, tw), tg)
            return out, grad_input, grad_weight, tg.sum((0, 2, 3))

        times = round_robin([ours, theirs], args.repeats, args.seconds, args.statistic)
        peak, difference = peak_extra_memory(ours), _largest_difference(ours(), theirs())
        shapes = f"{input_shape} {weight_shape}"
        failures += not _row(name, shapes, "", times, target, peak, difference)
    return failures


def pooling_table(rng, args):
    """Pooling's forward and backward against torch's: measured, no target."""
    for name, kind, input_shape, kernel in POOLING_CASES:
        x = rng.standard_normal(input_shape, dtype=np.float32)
        out_shape = max_pool2d(x, kernel).shape
        g = rng.standard_normal(out_shape, dtype=np.float32)
        tx, tg = torch.from_numpy(x), torch.from_numpy(g)
        tx.requires_grad_(True)
        pool, pool_grad = {"max": (max_pool2d, max_pool2d_grad), "avg": (avg_pool2d, None)}[kind]
        torch_pool = {"max": F.max_pool2d, "avg": F.avg_pool2d}[kind]

        def ours(x=x, g=g, kind=kind, kernel=kernel, pool=pool):
            out = pool(x, kernel)
            if kind == "max":
                return out, max_pool2d_grad(g, x, kernel)
            return out, avg_pool2d_grad(g, x.shape, kernel)

        def theirs(tx=tx, tg=tg, kernel=kernel, torch_pool=torch_pool):
            out = torch_pool(tx, kernel)
            return out, torch.autograd.grad(out, tx, tg)[0]

        times = round_robin([ours, theirs], args.repeats, args.seconds, args.statistic)
        peak, difference = peak_extra_memory(ours), _largest_difference(ours(), theirs())
        _row(name, f"{input_shape} k{kernel}", "", times, None, peak, difference)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="least timed calls of each")
    parser.add_argument("--seconds", type=float, default=3.0, help="time to spend per shape")
    parser.add_argument(
        "--only",
        choices=["forward", "backward", "pooling", "lenet5", "widgets"],
        help="one table, not all five",
    )
    parser.add_argument(
        "--statistic",
        choices=["median", "min"],
        default="median",
        help="summary of each one's times: min is steadier on a machine shared with others",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    header = (
        f"{'case':17} {'shapes':>40} {'method':>7} {'ours ms':>8} {'torch ms':>8} "
        f"{'ratio':>6} {'target':>7} {'':4} {'peak MiB':>8} {'max|diff|':>9}"
    )
    tables = [
        ("forward", "conv2d against F.conv2d", forward_table, len(CASES)),
        (
            "backward",
            "conv2d and its 3 gradients against autograd",
            backward_table,
            len(BACKWARD_CASES),
        ),
        ("pooling", "pooling forward and backward against autograd (no target)", pooling_table, 0),
    ]
    failures = targets = 0
    with threadpool_limits(1):
        for key, title, table, count in tables:
            if args.only not in (None, key):
                continue
            print(f"\n{title}\n{header}\n{'-' * len(header)}")
            failures += table(rng, args) or 0
            targets += count
    if targets:
        print(f"\n{targets - failures} of {targets} shapes within their target ratio.")
    if args.only in (None, "lenet5"):
        # One whole LeNet-5 training step, lib.numpy_nn against torch (issue 21).
        from bench_lenet5 import lenet5_training_step

        with threadpool_limits(1):
            print()
            lenet5_training_step()
    if args.only in (None, "widgets"):
        # The notebook widgets' redraws, each in a Jupyter kernel (issue 19).
        from bench_widgets import REDRAW_TARGET, WIDGETS, widget_table

        print("\nseconds per redraw of each notebook widget, in a Jupyter kernel")
        misses = widget_table(repeats=max(3, args.repeats // 2))
        print(
            f"\n{len(WIDGETS) - misses} of {len(WIDGETS)} widgets redraw under {REDRAW_TARGET} s."
        )


if __name__ == "__main__":
    main()
