"""One whole training step of the 1998 LeNet-5, lib.numpy_nn against torch, as a ratio.

    python tools/bench_lenet5.py

``make bench`` runs it after ``tools/bench.py``'s convolution tables: forward, loss,
backward and an Adam update at batch 64, on one thread (torch's and NumPy's BLAS), the two
called alternately in one process (:func:`bench.round_robin`), from the same weights.
"""

import sys
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import round_robin  # noqa: E402

#: The target ratio of a NumPy LeNet-5 training step to torch's (issue 21).
LENET5_STEP_TARGET = 2.5


def lenet5_training_step(repeats=9, seconds=3.0, batch=64):
    """Time one training step of the 1998 LeNet-5 at ``batch`` digits, forward, loss,
    backward and an Adam update, in lib.numpy_nn and in torch (lib.models.LeNet5), from
    the same weights; print both and their ratio. Returns the ratio."""
    from lib import numpy_nn as nnp
    from lib.models import LeNet5

    torch.manual_seed(0)
    theirs = LeNet5()
    ours = nnp.LeNet5.from_torch(theirs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 32, 32), dtype=np.float32)
    y = np.arange(batch) % 10
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    ours_adam = nnp.Adam(ours, lr=1e-4)
    theirs_adam = torch.optim.Adam(theirs.parameters(), lr=1e-4)

    def ours_step():
        _, grad = ours.loss(ours.forward(x), y)
        ours.backward(grad, input_grad=False)  # torch skips the input's gradient too
        ours_adam.step()

    def theirs_step():
        loss = theirs.loss(theirs(tx), ty)
        theirs_adam.zero_grad()
        loss.backward()
        theirs_adam.step()

    ours_time, torch_time = round_robin([ours_step, theirs_step], repeats, seconds)
    ratio = ours_time / torch_time
    ok = ratio <= LENET5_STEP_TARGET
    print(
        f"LeNet-5 training step, batch {batch} (forward, backward, Adam): lib.numpy_nn "
        f"{ours_time * 1e3:.2f} ms, torch {torch_time * 1e3:.2f} ms, ratio {ratio:.2f} "
        f"(target <= {LENET5_STEP_TARGET}) {'ok' if ok else 'SLOW'}",
        flush=True,
    )
    return ratio


if __name__ == "__main__":
    torch.set_num_threads(1)
    with threadpool_limits(1):
        lenet5_training_step()
