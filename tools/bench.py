"""Time lib's conv2d against torch.nn.functional.conv2d, as ratios.

    python tools/bench.py [--repeats 9] [--seconds 3]

For each shape, both run in float32 on one thread (``torch.set_num_threads(1)``, one BLAS
thread for NumPy), in the same process, alternately (round robin) for about 3 seconds per
shape, so that a disturbance of the machine hits both. The table shows each one's median
time, their ratio beside the target ratio, the method that conv2d's "auto" chose, the peak
extra memory conv2d allocated (beyond its output, measured by tracemalloc) and the largest
difference from torch's result. Ratios, unlike times, carry from one machine to another,
roughly.
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


def round_robin(functions, repeats, seconds):
    """Median seconds of each function, called alternately after a warm-up: ``repeats``
    times, or more when they are quick, to fill about ``seconds``."""
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
    return [float(np.median(record)) for record in times]


def peak_extra_memory(function):
    """Peak bytes that ``function`` allocated through NumPy beyond what it returned."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - result.nbytes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="least timed calls of each")
    parser.add_argument("--seconds", type=float, default=3.0, help="time to spend per shape")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    header = (
        f"{'case':17} {'input':>18} {'weight':>15} {'s':>2} {'p':>2} {'method':>7} "
        f"{'ours ms':>8} {'torch ms':>8} {'ratio':>6} {'target':>7} {'':4} "
        f"{'peak MiB':>8} {'max|diff|':>9}"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    with threadpool_limits(1):
        for name, input_shape, weight_shape, stride, padding, target in CASES:
            x = rng.standard_normal(input_shape, dtype=np.float32)
            w = rng.standard_normal(weight_shape, dtype=np.float32)
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)

            def ours(x=x, w=w, stride=stride, padding=padding):
                return conv2d(x, w, stride=stride, padding=padding)

            def theirs(tx=tx, tw=tw, stride=stride, padding=padding):
                return F.conv2d(tx, tw, stride=stride, padding=padding)

            ours_time, torch_time = round_robin([ours, theirs], args.repeats, args.seconds)
            ratio = ours_time / torch_time
            ok = ratio <= target
            failures += not ok
            peak = peak_extra_memory(ours) / 2**20
            difference = np.abs(ours() - theirs().numpy()).max()
            sides = padding_sides(padding, weight_shape[2:])
            out_size = ours().shape[2:]
            method = _auto_method(
                input_shape, weight_shape, (stride, stride), out_size, sides, np.dtype("float32")
            )
            print(
                f"{name:17} {str(input_shape):>18} {str(weight_shape):>15} {stride:>2} "
                f"{padding:>2} {method:>7} {ours_time * 1e3:8.2f} {torch_time * 1e3:8.2f} "
                f"{ratio:6.2f} {'<= ' + str(target):>7} {'ok' if ok else 'SLOW':4} {peak:8.1f} "
                f"{difference:9.1e}",
                flush=True,
            )
    print(f"\n{len(CASES) - failures} of {len(CASES)} shapes within their target ratio.")


if __name__ == "__main__":
    main()
    # One whole LeNet-5 training step, lib.numpy_nn against torch (issue 21): its own file.
    from bench_lenet5 import lenet5_training_step

    with threadpool_limits(1):
        print()
        lenet5_training_step()
