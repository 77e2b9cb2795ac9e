"""Re-execute chapter notebooks in a fresh kernel and store their outputs.

This is the only way outputs enter the repository (``make execute``; one chapter with
``make execute NB=chapters/01_convolution.ipynb``). Each notebook runs top to bottom in a
new kernel with nbclient, which also stores the widget state so that the website can
render widgets. A notebook is written back only when its run is clean:

- no error output, except in cells tagged ``raises-exception`` (and such a cell must
  really raise: a demonstration of an error that no longer errs is stale);
- nothing on stderr (a warning stored today fails nbval tomorrow);
- every code cell executed (nbval does not compare a cell without stored outputs).

Before it runs, every notebook gets the book's Colab cell as its first cell (or has it
brought up to date): hidden on the website (tag ``remove-cell``), it installs ``lib`` from
the repository that ``_config.yml`` names when the notebook runs on Colab, and does
nothing anywhere else.

Usage::

    python tools/execute_notebooks.py [NOTEBOOK ...]

With no argument it executes every notebook under ``chapters/``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from queue import Empty

import nbformat
import yaml
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from traitlets import Type, default

ROOT = Path(__file__).resolve().parent.parent
# Progress bars are for a person running a notebook; stored outputs never hold them.
os.environ.setdefault("CONVBOOK_PROGRESS", "0")
CHAPTERS = ROOT / "chapters"
#: The seconds a cell may take, unless it says otherwise: every cell of the book takes a few
#: seconds at most, so a cell that hangs fails in a minute, naming itself.
CELL_TIMEOUT = 60
#: Where a cell that needs longer (a training run) says how long, in its metadata.
METADATA_KEY = "convbook"
#: The longest single wait for a kernel message, in seconds (see :class:`SlicedChannel`).
POLL_SLICE = 1.0
#: A reply that reaches the client this many seconds after the kernel sent it was noticed
#: late (a lost wakeup, recovered by the next poll); ``run`` warns, naming the cell.
LATE_REPLY = 0.5
COLAB_CELL_ID = "colab-install"
COLAB_TAGS = ["remove-cell", "colab"]  # hidden on the website; not the set-up cell
COLAB_CELL = """\
# On Colab only: fetch the book's repository (set in _config.yml) and install its package,
# lib, with the saved results that chapter 5 shows. Anywhere else this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    repository = "{url}"
    branch = "{branch}"
    folder = "/content/convolution-book"
    clone = ["git", "clone", "--quiet", "--depth=1", "--branch", branch, repository, folder]
    subprocess.run(clone)  # no check: when the cell runs again, the folder is already there
    if not os.path.isdir(folder):
        raise RuntimeError(
            f"could not clone {{repository}} (branch {{branch}}): the book's _config.yml "
            "names it as the repository to install lib from; a fork sets its own there"
        )
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", folder], check=True)
    sys.path.insert(0, folder)  # the running kernel sees lib without a restart"""


def colab_cell_source(config: Path = ROOT / "_config.yml") -> str:
    """The source of the Colab cell, from the repository setting of ``_config.yml``.

    Parameters
    ----------
    config : Path, optional
        The book's configuration; its ``repository.url`` and ``repository.branch`` say
        where ``lib`` is installed from.

    Returns
    -------
    str
        Python source, already in the form ``ruff format`` gives it.
    """
    repository = yaml.safe_load(config.read_text())["repository"]
    return COLAB_CELL.format(url=repository["url"], branch=repository.get("branch", "main"))


def with_colab_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make the notebook's first cell the current Colab cell (insert or replace it).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A chapter notebook; changed in place.

    Returns
    -------
    nbformat.NotebookNode
        The same notebook.
    """
    cell = nbformat.v4.new_code_cell(colab_cell_source())
    cell.id = COLAB_CELL_ID
    cell.metadata["tags"] = list(COLAB_TAGS)
    first = nb.cells[0] if nb.cells else None
    if first is not None and "colab" in first.get("metadata", {}).get("tags", []):
        nb.cells[0] = cell
    else:
        nb.cells.insert(0, cell)
    return nb


def chapter_notebooks() -> list[Path]:
    """Every chapter notebook, in file-name order (which is the reading order)."""
    return sorted(p for p in CHAPTERS.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def problems_in(nb: nbformat.NotebookNode) -> list[str]:
    """List what would make an executed notebook unfit to store.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A notebook that has just been executed.

    Returns
    -------
    list of str
        One line per problem, naming the cell by its index; empty when the notebook is clean.
    """
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if cell.get("execution_count") is None:
            problems.append(f"cell {index}: was not executed")
        if errors and "raises-exception" not in tags:
            problems.append(f"cell {index}: raised {errors[0].ename}: {errors[0].evalue}")
        if "raises-exception" in tags and not errors:
            problems.append(f"cell {index}: is tagged raises-exception but raised nothing")
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                first_line = out.text.strip().splitlines()[0] if out.text.strip() else ""
                problems.append(f"cell {index}: wrote to stderr: {first_line[:120]}")
    return problems


def cell_timeout(cell) -> int:
    """The seconds ``cell`` may take: its ``convbook.timeout`` metadata, or :data:`CELL_TIMEOUT`.

    nbval (through ``tests/nbval_timeout.py``), ``make execute`` and the student-version
    check all give a cell this limit, so a cell that hangs costs a minute, not an hour.

    Parameters
    ----------
    cell : dict
        A notebook cell.

    Returns
    -------
    int
        A positive number of seconds.

    Raises
    ------
    ValueError
        If the cell's metadata give a limit that is not a positive integer.

    Examples
    --------
    >>> cell_timeout({"metadata": {}})
    60
    >>> cell_timeout({"metadata": {"convbook": {"timeout": 300}}})
    300
    """
    limit = cell.get("metadata", {}).get(METADATA_KEY, {}).get("timeout", CELL_TIMEOUT)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ValueError(f"a cell's convbook.timeout must be a positive integer, got {limit!r}")
    return limit


class SlicedChannel(AsyncZMQSocketChannel):
    """A kernel channel that waits for a message in polls of at most :data:`POLL_SLICE` s.

    Why (issue 23): nbclient waits for a cell's ``execute_reply`` with one poll of the
    shell socket as long as the cell's whole limit. Now and then the event loop is not
    woken when the reply arrives: the reply sits unread in the socket until that poll
    times out, and pyzmq's last, zero-timeout poll finds it. The cell then costs exactly
    its limit and raises nothing, with the kernel idle (the issue's 20.0 s of 20, and
    600 s of 600). Seen in cells with an ipywidgets ``Output`` widget (``interactive``):
    the only cells during which nbclient itself sends on the shell socket, a ``comm_msg``
    as it mimics a front end's Output widget (nbclient issue 312). It is a race: 2 of 525
    repeats of chapter 1's widget cell here (the replies noticed 19.5 s and 7.7 s late),
    none of 300 with that mimicry off, and chapter 1's student version on the machine of
    issue 23.
    Polling in short slices bounds its cost to one slice. A message still waits at most
    ``timeout`` in all, and nbclient's own handling of a cell over its limit (a
    :class:`~nbclient.exceptions.CellTimeoutError`) is unchanged.

    Replies noticed :data:`LATE_REPLY` seconds or more after the kernel sent them are kept
    in :attr:`late`, by the ``msg_id`` of the request they answer.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: ``{request msg_id: seconds late}`` for replies noticed late.
        self.late: dict[str, float] = {}

    async def get_msg(self, timeout: float | None = None) -> dict:
        """The next message, waiting at most ``timeout`` seconds (None: no limit).

        Raises
        ------
        queue.Empty
            If no message came within ``timeout``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = POLL_SLICE
            if deadline is not None:
                wait = max(0.0, min(POLL_SLICE, deadline - time.monotonic()))
            try:
                msg = await super().get_msg(timeout=wait)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                continue
            sent = msg.get("header", {}).get("date")
            if msg.get("msg_type", "").endswith("_reply") and hasattr(sent, "timestamp"):
                lag = time.time() - sent.timestamp()
                if lag >= LATE_REPLY:
                    self.late[msg["parent_header"].get("msg_id")] = lag
            return msg


class SlicedKernelClient(AsyncKernelClient):
    """nbclient's kernel client, with :class:`SlicedChannel` for shell and IOPub."""

    shell_channel_class = Type(SlicedChannel)
    iopub_channel_class = Type(SlicedChannel)


class SlicedKernelManager(AsyncKernelManager):
    """A kernel manager whose clients are :class:`SlicedKernelClient`."""

    @default("client_factory")
    def _client_factory_default(self):
        return SlicedKernelClient


def run(nb: nbformat.NotebookNode, folder: Path) -> list[str]:
    """Execute ``nb`` in place in a fresh kernel, with ``folder`` as working directory.

    Each cell gets the limit of :func:`cell_timeout`; a cell that exceeds it, or whose
    output stops arriving, ends the run at once with a problem that names it.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook; its outputs and widget state are replaced by the run's.
    folder : Path
        The working directory of the kernel (the notebook's own folder).

    Returns
    -------
    list of str
        What makes the run unfit to store (see :func:`problems_in`); empty when clean.
    """
    current = {"index": None}

    def starting(cell, cell_index, **_):
        current["index"] = cell_index

    def executed(cell, cell_index, execute_reply, **_):
        request = execute_reply.get("parent_header", {}).get("msg_id")
        lag = getattr(client.kc.shell_channel, "late", {}).get(request)
        if lag is not None:
            first_line = cell.source.strip().splitlines()[0][:60]
            warnings.warn(
                f"cell {cell_index} ({first_line!r}): its reply was noticed {lag:.1f} s after "
                f"the kernel sent it (a lost wakeup, recovered by the {POLL_SLICE:g} s polls; "
                "see SlicedChannel)",
                RuntimeWarning,
                stacklevel=1,
            )

    client = NotebookClient(
        nb,
        # Waits for the kernel in short polls: a lost wakeup costs a second, not the limit.
        kernel_manager_class=SlicedKernelManager,
        timeout_func=cell_timeout,
        # A reply with no end of its output: fail, instead of waiting and going on silently.
        raise_on_iopub_timeout=True,
        iopub_timeout=10,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        store_widget_state=True,
        record_timing=False,  # timings differ on every run and would churn the diff
        on_cell_start=starting,
        on_cell_executed=executed,
    )
    try:
        client.execute()
    except CellTimeoutError as error:
        index = current["index"]
        first_line = nb.cells[index].source.strip().splitlines()[0] if index is not None else ""
        # nbclient's first line gives the limit; "The message was" says which wait ran out
        # (the cell's reply, or the end of its output after the reply).
        lines = str(error).strip().splitlines()
        said = [line.split(":", 1)[1].strip() for line in lines if "message was:" in line]
        reason = lines[0].rstrip(".") + (f" ({said[0].rstrip('.')})" if said else "")
        return [f"execution stopped: cell {index} ({first_line[:60]!r}) timed out: {reason}"]
    except DeadKernelError as error:
        return [f"execution stopped: the kernel died in cell {current['index']}: {error}"]
    except CellExecutionError as error:
        # nbclient stops at the first unexpected error; report it.
        summary = str(error).strip().splitlines()
        return [f"execution stopped: {summary[-1] if summary else error!r}"]
    # A print can reach the kernel's stream in two flushes; stored as two outputs it would
    # show on the website as two blocks. One stream per cell, as nbval compares them.
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    return problems_in(nb)


def execute(path: Path) -> list[str]:
    """Execute one notebook in a fresh kernel; store it when clean.

    Parameters
    ----------
    path : Path
        The notebook to execute. It runs with its own folder as the working directory.

    Returns
    -------
    list of str
        The problems that kept it from being stored; empty when it was stored.
    """
    nb = nbformat.read(path, as_version=4)
    chapter = path.resolve().parent == CHAPTERS
    if chapter:
        with_colab_cell(nb)
    problems = run(nb, path.parent)
    if not problems:
        nbformat.validate(nb)
        nbformat.write(nb, path)
        if chapter:  # the copy the website's buttons hand out, without the solutions
            problems = execute_student_version(path.resolve())
    return problems


def execute_student_version(chapter: Path) -> list[str]:
    """Write the chapter's published student version and store it executed.

    Stored with its outputs, as every notebook of the book is (a student who opens it on
    Colab sees the figures, and every check saying "not attempted"); it runs top to bottom
    because its stubs raise only when called.

    Returns
    -------
    list of str
        The problems of its run; empty when it was stored.
    """
    from student_version import publish_student_version

    target = publish_student_version(chapter)
    nb = nbformat.read(target, as_version=4)
    problems = run(nb, target.parent)
    if problems:
        return [f"student version {target}: {problem}" for problem in problems]
    nbformat.validate(nb)
    nbformat.write(nb, target)
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter")
    args = parser.parse_args(argv)
    paths = args.notebooks or chapter_notebooks()
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"notebooks: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    # The kernel inherits this environment: make hashing and BLAS threads repeatable.
    os.environ.setdefault("PYTHONHASHSEED", "0")
    failed = 0
    for path in paths:
        start = time.perf_counter()
        problems = execute(path)
        took = time.perf_counter() - start
        if problems:
            failed += 1
            print(f"NOT STORED {path} ({took:.0f} s):")
            for problem in problems:
                print(f"    {problem}")
        else:
            print(f"stored     {path} ({took:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
