"""No test stalls silently: a cell over its limit fails at once, naming itself."""

import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import execute_notebooks  # noqa: E402

from tests.nbval_run import run_nbval  # noqa: E402


def _notebook_with_a_hang(limit):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell("print('quick')", execution_count=1),
        nbformat.v4.new_code_cell("import time\ntime.sleep(600)", execution_count=2),
    ]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="quick\n")]
    nb.cells[1].metadata["convbook"] = {"timeout": limit}
    return nb


def test_a_hanging_cell_stops_the_run_within_its_limit_naming_the_cell(tmp_path):
    start = time.monotonic()
    problems = execute_notebooks.run(_notebook_with_a_hang(2), tmp_path)
    assert time.monotonic() - start < 60
    assert len(problems) == 1
    assert problems[0].startswith("execution stopped: cell 1 ('import time') timed out")


def test_nbval_gives_each_cell_its_own_limit(tmp_path):
    notebook = tmp_path / "hang.ipynb"
    nbformat.write(_notebook_with_a_hang(2), notebook)
    start = time.monotonic()
    report = run_nbval(notebook, "tests.nbval_timeout")
    assert time.monotonic() - start < 60, "nbval waited for its own 2,000 s limit"
    assert re.search(r"PASSED \S*hang\.ipynb::Cell 0\b", report), report[-2000:]
    assert re.search(r"FAILED \S*hang\.ipynb::Cell 1\b", report), report[-2000:]
    assert "Timeout of 2 seconds exceeded" in report


def test_only_training_cells_ask_for_more_than_the_default_limit():
    longer = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code" and execute_notebooks.cell_timeout(cell) > 60:
                longer.append((path.name, index))
                assert "train(" in cell.source
    assert longer == [
        ("05_lenet5.ipynb", 34),
        ("05_lenet5.ipynb", 35),
        ("06_learning.ipynb", 46),
        ("06_learning.ipynb", 47),
    ]
