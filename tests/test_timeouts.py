"""No test stalls silently: a cell over its limit fails at once, naming itself."""

import asyncio
import re
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets import default

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
    assert problems[0].endswith("after 2 seconds (Cell execution timed out)"), problems[0]


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


# --- issue 23: a reply that arrives without waking the client --------------------------------


def _notebook_whose_last_cell_replies_at_half_a_second(limit):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell("print('quick')"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(0.5)\nprint('replied')"),
    ]
    nb.cells[1].metadata["convbook"] = {"timeout": limit}
    return nb


def _lose_the_wakeup(client, channel):
    """A hook for once the last cell's request is sent: the event loop stops watching the
    channel's socket. The kernel's messages still reach the socket, but nothing wakes the
    poll that waits for them: the race of issue 23 (nbclient issue 312), made certain."""

    def hook(cell, cell_index, **_):
        if cell_index == len(client.nb.cells) - 1:
            socket = getattr(client.kc, f"{channel}_channel").socket
            asyncio.get_running_loop().remove_reader(socket.FD)

    return hook


def test_a_lost_wakeup_costs_nbclient_the_whole_limit_and_raises_nothing():
    """The control: issue 23's symptom, made at will. nbclient's one long poll for the reply
    ends at the limit; its last zero-timeout poll then finds the reply sent at 0.5 s."""
    nb = _notebook_whose_last_cell_replies_at_half_a_second(3)
    client = NotebookClient(nb, timeout=3, kernel_name="python3")
    client.on_cell_complete = _lose_the_wakeup(client, "shell")
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        start = time.monotonic()
        client.execute_cell(nb.cells[1], 1)  # raises nothing
        took = time.monotonic() - start
    assert took >= 3
    assert nb.cells[1].outputs[0].text == "replied\n"


class _LosesTheWakeup(NotebookClient):
    channel = "shell"

    @default("on_cell_complete")
    def _hook(self):
        return _lose_the_wakeup(self, self.channel)


@pytest.mark.parametrize("channel", ["shell", "iopub"])
def test_the_book_runner_recovers_a_lost_wakeup_within_a_slice(monkeypatch, tmp_path, channel):
    """execute_notebooks.run (make execute and the student-version check) polls in slices: a
    lost wakeup costs one slice, not the cell's limit (30 s here). On the shell socket it is
    reported as a warning that names the cell; a 3 s slice makes that reply certainly late."""
    monkeypatch.setattr(_LosesTheWakeup, "channel", channel)
    monkeypatch.setattr(execute_notebooks, "NotebookClient", _LosesTheWakeup)
    if channel == "shell":
        monkeypatch.setattr(execute_notebooks, "POLL_SLICE", 3.0)
    nb = _notebook_whose_last_cell_replies_at_half_a_second(30)
    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problems = execute_notebooks.run(nb, tmp_path)
    took = time.monotonic() - start
    assert problems == []
    assert nb.cells[1].outputs[0].text == "replied\n"
    assert took < 25, f"the run took {took:.1f} s: the lost wakeup cost the cell its limit"
    late = [str(w.message) for w in caught if "noticed" in str(w.message)]
    if channel == "shell":
        assert len(late) == 1, late
        noticed = re.match(r"cell 1 \('import time'\): its reply was noticed (\d+\.\d) s", late[0])
        assert noticed and float(noticed[1]) >= 1, late


def test_the_slice_is_short():
    assert execute_notebooks.POLL_SLICE <= 1
