"""Run nbval over every chapter with the processor's instruction sets forced to other levels.

The stored outputs are made with the AVX2 code of PyTorch, oneDNN and MKL, which
``setup_notebook()`` pins (see ``lib/notebook.py``). This tool shows that the chapters still
pass where the code is another: each setting below is the environment of one run of
``pytest chapters/`` (nbval, with the tolerance of ``tests/nbval_tolerance.py``), and every
run must be green. ``make test-portability`` runs them, two at a time (one per core; each
kernel computes on one thread).

A setting is run only when this processor has the instructions it forces (forcing
instructions a processor lacks would crash it); the others are listed as skipped, with the
reason. Usage::

    python tools/portability.py [--only NAME ...] [--list]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One forced level of the instruction sets, and the processor flags it needs."""

    name: str
    what: str
    environment: dict[str, str]
    needs: tuple[str, ...] = ()


SETTINGS = (
    Setting(
        "widest",
        "the widest code each library has for this processor: ATen's AVX-512 kernels, "
        "oneDNN with every instruction set (AMX included where present), MKL and OpenBLAS "
        "choosing for themselves",
        {
            "ATEN_CPU_CAPABILITY": "avx512",
            "ONEDNN_MAX_CPU_ISA": "ALL",
            "MKL_CBWR": "AUTO",
        },
        needs=("avx512f", "avx512bw", "avx512vl", "avx512dq"),
    ),
    Setting(
        "baseline",
        "the narrowest code: ATen's scalar kernels, oneDNN's SSE4.1 code, MKL's code that "
        "is the same on every x86-64 processor, OpenBLAS's SSE3 kernels (Prescott)",
        {
            "ATEN_CPU_CAPABILITY": "default",
            "ONEDNN_MAX_CPU_ISA": "SSE41",
            "MKL_CBWR": "COMPATIBLE",
            "OPENBLAS_CORETYPE": "Prescott",
        },
        needs=("sse4_1",),
    ),
)


def processor_flags() -> set[str]:
    """The instruction-set flags of this processor (empty when not x86-64 Linux)."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def missing_flags(setting: Setting, flags: set[str]) -> list[str]:
    """The flags ``setting`` needs that this processor lacks."""
    return [flag for flag in setting.needs if flag not in flags]


def run(setting: Setting) -> tuple[int, float, str]:
    """Run nbval over the chapters with ``setting``'s environment.

    Returns
    -------
    tuple
        pytest's exit code, the seconds it took, and its last lines.
    """
    environment = os.environ | setting.environment | {"CONVBOOK_PROGRESS": "0"}
    command = [sys.executable, "-m", "pytest", "chapters", "-q", "--no-header", "-p", "no:randomly"]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    seconds = time.monotonic() - start
    lines = (done.stdout + done.stderr).strip().splitlines()
    tail = "\n".join(lines[-40:] if done.returncode else lines[-1:])
    return done.returncode, seconds, tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=[s.name for s in SETTINGS])
    parser.add_argument("--list", action="store_true", help="list the settings and stop")
    args = parser.parse_args(argv)

    flags = processor_flags()
    chosen = [s for s in SETTINGS if not args.only or s.name in args.only]
    runnable = []
    for setting in chosen:
        forced = " ".join(f"{k}={v}" for k, v in setting.environment.items())
        lacking = missing_flags(setting, flags)
        if lacking:
            print(f"{setting.name}: skipped, this processor lacks {', '.join(lacking)}")
        else:
            print(f"{setting.name}: {setting.what}\n    {forced}")
            runnable.append(setting)
    if args.list or not runnable:
        return 0

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, runnable))
    failed = 0
    for setting, (code, seconds, tail) in zip(runnable, results, strict=True):
        verdict = "passed" if code == 0 else f"FAILED (pytest exit {code})"
        print(f"\n{setting.name}: {verdict} in {seconds:.0f} s\n{tail}")
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
