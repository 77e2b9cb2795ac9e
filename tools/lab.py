"""Open the student version of the chapters in JupyterLab: ``make lab``.

A student works in ``student/``, never in ``chapters/`` (the instructor's notebooks, with
every solution in its answer cell). This makes the student version of each chapter that
``student/`` lacks (one already there is never touched: it holds the student's answers),
then starts the project's JupyterLab on that folder. JupyterLab shows the book's exercise
boxes, notes and cross-references as the website does, with jupyterlab-myst.

Usage::

    python tools/lab.py [--out student] [--dry-run] [-- JUPYTERLAB OPTIONS]

``--dry-run`` makes the missing student versions, prints the command it would start and
stops (the tests use it; it opens no browser).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from student_version import CHAPTERS, STUDENT, write_student_version  # noqa: E402


def lab_command(folder: Path, extra: list[str]) -> list[str]:
    """The command that starts this environment's JupyterLab on ``folder``."""
    jupyter_lab = Path(sys.executable).with_name("jupyter-lab")
    return [str(jupyter_lab), f"--ServerApp.root_dir={folder}", *extra]


def missing_student_versions(folder: Path) -> list[Path]:
    """Write the student version of every chapter that ``folder`` lacks; return them."""
    written = []
    for chapter in sorted(CHAPTERS.glob("[0-9]*.ipynb")):
        if not (folder / chapter.name).exists():
            written.append(write_student_version(chapter, folder))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=STUDENT, help="default: student/")
    parser.add_argument("--dry-run", action="store_true", help="print the command, start nothing")
    parser.add_argument("extra", nargs="*", help="options for JupyterLab, after --")
    args = parser.parse_args(argv)

    folder = args.out.resolve()
    for path in missing_student_versions(folder):
        print(f"written     {path}")
    print(f"Your notebooks are in {folder}; the chapters/ folder is the instructor's version.")
    command = lab_command(folder, args.extra)
    print(shlex.join(command))
    if args.dry_run:
        return 0
    os.execv(command[0], command)  # JupyterLab takes over this process (Ctrl-C stops it)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
