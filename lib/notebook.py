"""One set-up call at the top of every chapter, so that a re-run prints the same text.

What varies between machines, and what this module fixes:

- random numbers: Python's ``random``, NumPy's global generator and torch's are seeded;
- threads: ``torch.set_num_threads(1)`` and one BLAS thread for NumPy, because a sum split
  over 2 threads and over 8 threads rounds differently in its last bits;
- vector instructions: the AVX2 code of PyTorch, oneDNN and MKL, not their AVX-512 (or
  AMX) code, where both exist;
- printing: NumPy and torch print with the same precision and line width everywhere;
- figures: one size, one resolution and one colour-blind-safe colour map for every plot.
"""

import os
import platform
import random
from pathlib import Path

import matplotlib as mpl
import numpy as np
import torch
from threadpoolctl import threadpool_limits

#: The seed every chapter starts from.
SEED = 0

#: The sequential colour map of the book: perceptually uniform and readable by
#: colour-blind readers (viridis). Signed data use :data:`DIVERGING_CMAP`.
SEQUENTIAL_CMAP = "viridis"

#: The diverging colour map for signed data (negative blue, zero white, positive red);
#: it stays readable with the common red-green colour blindness.
DIVERGING_CMAP = "RdBu_r"

#: Figure style shared by every chapter.
FIGURE_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "image.cmap": SEQUENTIAL_CMAP,
    "axes.prop_cycle": mpl.cycler(
        # Okabe and Ito's colour-blind-safe palette.
        color=["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
    ),
    "font.size": 10,
    "axes.titlesize": 11,
}

_blas_limit = None


def _pin_vector_instructions():
    """Make PyTorch, oneDNN and MKL use AVX2 code on x86-64 machines that have more.

    Seeds and one thread are not enough for a training run to print the same numbers on
    every machine: AVX-512 code adds in another order than AVX2 code, and the last bits
    of a sum grow into a different accuracy after a few epochs. Three libraries inside
    torch choose their code by the processor, each with its own setting: ATen's own
    kernels (``ATEN_CPU_CAPABILITY``), oneDNN's convolutions (``ONEDNN_MAX_CPU_ISA``) and
    MKL's matrix products of the linear layers (``MKL_CBWR``, MKL's "conditional numerical
    reproducibility": the same bits on every processor that has the named instructions).
    Most x86-64 machines have AVX2, so the stored outputs are made with it. Each library
    reads its setting when it first runs, so this must happen before any computation;
    a setting already in the environment wins (``make test-portability`` forces others).
    On a machine without AVX2 (or not x86-64) nothing is set, since forcing instructions
    a processor lacks would crash it; there, and on any machine whose libraries differ,
    a training run's numbers may differ a little, which is why the chapters compare them
    within a stated tolerance.
    """
    if platform.machine() not in ("x86_64", "AMD64"):
        return
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return
    if " avx2" in flags:
        os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
        os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
        os.environ.setdefault("MKL_CBWR", "AVX2")


def setup_notebook(seed: int = SEED) -> None:
    """Fix seeds, threads, print options and the figure style for one notebook.

    Call it once, in the first code cell of a chapter. Calling it again resets the seeds,
    so a cell that calls it starts from the same random numbers on every machine.

    Parameters
    ----------
    seed : int, optional
        The seed for ``random``, NumPy and torch. Default :data:`SEED`.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer.
    ValueError
        If ``seed`` is negative.

    Examples
    --------
    >>> import numpy as np, torch
    >>> setup_notebook()
    >>> a = np.random.rand()
    >>> setup_notebook()
    >>> a == np.random.rand()
    True
    >>> torch.get_num_threads()
    1
    >>> setup_notebook(seed=-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be a non-negative integer, got -1
    """
    global _blas_limit
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")

    random.seed(seed)
    # The legacy global generator on purpose: it is what np.random.rand, which readers
    # type, draws from.
    np.random.seed(seed)  # noqa: NPY002
    torch.manual_seed(seed)

    torch.set_num_threads(1)
    _pin_vector_instructions()
    if _blas_limit is None:  # keep one limiter for the whole session
        _blas_limit = threadpool_limits(limits=1)

    np.set_printoptions(precision=4, suppress=True, linewidth=100, threshold=200)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100, threshold=200)

    mpl.rcParams.update(FIGURE_STYLE)
