"""Run nbval on one small notebook in a pytest of its own, for the tests of our nbval plugins."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_nbval(notebook: Path, plugin: str) -> str:
    """nbval's report on ``notebook``, with only ``plugin`` (``tests.nbval_...``) loaded.

    The run has a configuration file of its own beside the notebook, so that none of the
    repository's settings (its other plugins, its sanitize file) take part.
    """
    config = notebook.parent / "pytest.ini"
    config.write_text("[pytest]\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(notebook), "--nbval", "--nbval-current-env",
         "-p", plugin, "-c", str(config), "--rootdir", str(notebook.parent),
         "-p", "no:cacheprovider", "-rA"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return run.stdout
