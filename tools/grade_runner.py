"""The grader's child: the only code that runs in the same process as a submission.

``tools/grade.py`` starts it inside the sandbox of ``tools/grade_sandbox.py``, once or
twice per submission, and it never decides a score. It reads one JSON request on stdin
and answers with JSON lines ("events") on the stdout it was started with. Before any of
the submission's code runs, it moves that stdout to a private descriptor and sends the
submission's own prints (fds 1 and 2) to ``output.log`` in its folder, so that what a
submission prints is never read as an event. (One that writes to the private descriptor
on purpose cannot forge events blindly: each carries the run's nonce, from the request;
code that finds the nonce in this process's memory could, but events only carry what its
own answers return, the grader takes them only in the order it expects, and no event is
ever a score.) It also
blocks the creation of sockets (an audit hook, which cannot be removed), on top of the
sandbox's empty network namespace.

Two modes:

``run``
    Request ``{"cells": [[position, source], ...]}``: every code cell of the notebook, in
    order, in one IPython shell, as a student's "run all" would (errors do not stop it).
    Events: ``{"event": "cell", "position": p, "error": null or "Type: message"}`` per
    cell, then ``{"event": "done"}``.
``check``
    Request ``{"prelude": [source, ...], "exercises": [{"name", "kind", "cell", "cases",
    "evaluate"}, ...]}``: run the prelude (the notebook's import statements) then each
    exercise's answer cell, in the notebook's order, in one namespace, and call each
    answer on its cases (``kind == "function"``) or read its value (``kind == "value"``).
    An exercise with ``evaluate`` false was checked by an earlier process that stopped:
    its cell only runs, for the definitions later answers may use. The chapters'
    checkers (``lib.exercises.chapterN``, which hold the reference solutions) cannot be
    imported here: in their place, ``from lib.exercises import chapter1 as ex`` gives
    the chapter's exercise data (``ex.CORNER_IMAGE``), as the notebook has them.
    Events: ``ready``; then per exercise ``begin``, ``cell_error`` (when its cell
    raised), ``missing`` (when the name is not defined), one ``case`` per case with an
    ``outcome``, and ``end``.

An outcome is ``{"value": <encoded>, "mutated": bool}``, ``{"raised": "Type:
message", "not_implemented": bool}``, or ``{"not_callable": "an int"}`` for a function
exercise whose answer is not a function. Values travel as :func:`encode` makes them: JSON for
plain data, ``.npy`` bytes (never pickles) for arrays, and only a type's name for
anything else. :func:`decode`, used by the grader, reads them back without running any
code of the submission.
"""

import base64
import importlib.util
import io
import json
import os
import re
import signal
import sys

import numpy as np

from lib.exercises.checker import CALLS_A_STUB, integer_scalar, stub_called, type_name

#: The largest array (bytes) that travels back to the grader; a bigger one is "opaque".
MAX_ARRAY_BYTES = 8 * 2**20
#: The most items of a list or tuple, and how deep they may nest, that travel back.
MAX_ITEMS, MAX_DEPTH = 10_000, 4
#: The most values (items of every list and tuple, at every depth) of one answer that
#: travel back: beyond it, the answer is "opaque". Lists of lists that share one list
#: (``[[None] * 10_000] * 220``) cost the submission nothing to make, but each value
#: costs the grader ~300 bytes to read back; honest answers are arrays or short tuples.
MAX_VALUES = 20_000
#: The modules that a submission cannot import in ``check`` mode: the chapters' checkers,
#: which hold the reference solutions. ``lib.exercises.chapterN`` gives the chapter's
#: exercise data instead (see :class:`_Checkers`).
BLOCKED = "lib.exercises.chapter"


# --- values, there and back -----------------------------------------------------------------


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def encode(value, depth=0, budget=None):
    """Describe ``value`` as JSON data that :func:`decode` turns back into a value.

    At most :data:`MAX_VALUES` values in all (``budget`` counts them down); a list or
    tuple with more is "opaque".

    Examples
    --------
    >>> decode(encode((np.arange(3), None, 2.5)))
    (array([0, 1, 2]), None, 2.5)
    >>> type(decode(encode(object()))).__name__
    'object'

    A tuple's subclass, such as ``torch.Size``, travels as a tuple:

    >>> import torch
    >>> decode(encode(torch.Size([16, 6, 5, 5])))
    (16, 6, 5, 5)
    >>> encode([[0] * 10_000] * 3)["t"]
    'opaque'
    """
    budget = [MAX_VALUES] if budget is None else budget
    budget[0] -= 1
    if value is None or value is Ellipsis:
        return {"t": "none" if value is None else "ellipsis"}
    if type(value) in (bool, int, float) and (type(value) is not int or abs(value) < 2**63):
        return {"t": type(value).__name__, "v": value}
    if type(value) is str:
        return {"t": "str", "v": value[:1000]}
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.kind in "biufc" and array.nbytes <= MAX_ARRAY_BYTES:
            return {
                "t": "ndarray" if isinstance(value, np.ndarray) else "scalar",
                "npy": _npy(array),
            }
    elif isinstance(value, list | tuple) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        # Subclasses too (torch.Size, a namedtuple): the checkers see them as what they are.
        kind = "list" if isinstance(value, list) else "tuple"
        items = []
        for item in value:
            items.append(encode(item, depth + 1, budget))
            if budget[0] < 0:  # too many values in all: the whole answer is opaque
                return {"t": "opaque", "type": type(value).__name__}
        return {"t": kind, "items": items}
    return {"t": "opaque", "type": type(value).__name__}


def _opaque(name):
    """A stand-in object whose type has the name of what the submission returned."""
    name = re.sub(r"\W", "_", str(name))[:60] or "object"
    return type(name, (), {"__repr__": lambda self: f"<{name}>"})()


def decode(data):
    """Turn :func:`encode`'s data back into a value; never unpickles, never runs code.

    Anything malformed comes back as an opaque object, which a checker reports as a
    wrong type.
    """
    try:
        kind = data["t"]
        if kind == "none":
            return None
        if kind == "ellipsis":
            return Ellipsis
        if kind in ("bool", "int", "float", "str"):
            value = data["v"]
            expected = {"bool": bool, "int": int, "float": float | int, "str": str}[kind]
            if isinstance(value, expected):
                return float(value) if kind == "float" else value
        elif kind in ("ndarray", "scalar"):
            raw = base64.b64decode(data["npy"], validate=True)
            if len(raw) <= MAX_ARRAY_BYTES + 1024:
                array = np.load(io.BytesIO(raw), allow_pickle=False)
                if array.dtype.kind in "biufc":
                    return array if kind == "ndarray" else array[()]
        elif kind in ("list", "tuple") and len(data["items"]) <= MAX_ITEMS:
            items = [decode(item) for item in data["items"]]
            return items if kind == "list" else tuple(items)
        elif kind == "opaque":
            return _opaque(data.get("type"))
    except (KeyError, TypeError, ValueError, OSError, RecursionError):
        pass
    return _opaque("malformed")


def describe_exception(error):
    """``"TypeName: message"``, short and free of memory addresses (as the checkers)."""
    try:
        message = str(error)
    except Exception:
        message = ""
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = re.sub(r"0x[0-9a-fA-F]+", "0x...", first)
    if len(first) > 200:
        first = first[:197] + "..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def call(function, args):
    """Call ``function`` on copies of ``args``: the outcome, as the checkers record it."""
    copies = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
    try:
        value = integer_scalar(function(*copies))
    except NotImplementedError as error:
        callee = stub_called(function, error)
        if callee:  # written, but it calls an unfinished function: an error, with its name
            return {"raised": f"NotImplementedError in {callee}, {CALLS_A_STUB}"}
        return {"raised": "NotImplementedError", "not_implemented": True}
    except BaseException as error:  # SystemExit and KeyboardInterrupt too
        return {"raised": describe_exception(error), "not_implemented": False}
    mutated = any(
        isinstance(a, np.ndarray) and (a.shape != c.shape or not np.array_equal(a, c))
        for a, c in zip(args, copies, strict=True)
    )
    return {"value": safe_encode(value), "mutated": bool(mutated)}


def safe_encode(value):
    """:func:`encode`, or an opaque value when the answer's own code fails while it is
    read (a list subclass whose iteration raises)."""
    try:
        return encode(value)
    except Exception:
        return {"t": "opaque", "type": type(value).__name__}


def outcomes_of(kind, answer, cases):
    """The outcomes of one answer, one by one, as the check step sends them back.

    Parameters
    ----------
    kind : {"function", "value"}
        The exercise's kind.
    answer : object
        What the answer cell defined under the exercise's name.
    cases : list of list
        Each case's arguments, encoded (:func:`encode`).

    Yields
    ------
    dict
        A value's one outcome; a function's outcome per case, until a case shows the
        stub; or, for a function exercise whose answer is not a function, its type.
    """
    if kind == "value":
        yield {"value": safe_encode(integer_scalar(answer))}
        return
    if not callable(answer):
        yield {"not_callable": type_name(answer)}
        return
    for args in cases:
        outcome = call(answer, tuple(decode(a) for a in args))
        yield outcome
        if outcome.get("not_implemented"):
            return


# --- the process ------------------------------------------------------------------------------


class _Checkers:
    """An import hook for the chapters' checkers (they hold the references): in their
    place, ``lib.exercises.chapterN`` is a module with the chapter's exercise data alone
    (:mod:`lib.exercises.data`), so that ``ex.CORNER_IMAGE`` means what it means in the
    notebook. Anything else of ``ex`` raises an AttributeError that says why."""

    def find_spec(self, name, path=None, target=None):
        if not name.startswith(BLOCKED):
            return None
        match = re.fullmatch(re.escape(BLOCKED) + r"(\d+)", name)
        if match is None:
            raise ImportError(f"{name} cannot be imported while a submission is graded")
        return importlib.util.spec_from_loader(name, _DataLoader(int(match.group(1))))


class _DataLoader:
    """Makes the stand-in module of one chapter's checkers: its exercise data only."""

    def __init__(self, chapter):
        self.chapter = chapter

    def create_module(self, spec):
        return None  # the default module

    def exec_module(self, module):
        from lib.exercises.data import PUBLIC, public

        names = PUBLIC.get(self.chapter, ())
        module.__dict__.update(public(self.chapter) if names else {})
        offered = ", ".join(names) or "nothing"

        def __getattr__(attribute):
            raise AttributeError(
                f"{module.__name__}.{attribute} is not available while a submission is "
                f"graded: an answer cell may use the exercise's data ({offered}), not the "
                "checkers"
            )

        module.__getattr__ = __getattr__


def _no_sockets(event, args):
    if event == "socket.__new__":
        raise PermissionError("network access is disabled while a submission is graded")


def _take_channel(nonce=None):
    """Keep the original stdout for events; send fds 1 and 2 to output.log.

    Each event carries ``nonce`` (the grader's, from the request), without which the
    grader ignores a line: a submission that writes blindly to every descriptor forges
    nothing.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    log = os.open("output.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)

    def emit(**event):
        channel.write(json.dumps({**event, "n": nonce}) + "\n")
        channel.flush()

    return emit


def run_cells(request, emit):
    """``run`` mode: the notebook's code cells in one IPython shell, errors and all."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        shell = InteractiveShell.instance(config=config)
    except Exception:  # no IPython: plain exec, magics will fail
        shell = None
    namespace = {"__name__": "__main__"}
    for position, source in request["cells"]:
        error = None
        if shell is not None:
            result = shell.run_cell(source, store_history=False)
            failure = result.error_before_exec or result.error_in_exec
            error = describe_exception(failure) if failure is not None else None
        else:
            try:
                exec(compile(source, f"<cell {position}>", "exec"), namespace)
            except BaseException as failure:
                error = describe_exception(failure)
        emit(event="cell", position=position, error=error)
    emit(event="done")


def check_answers(request, emit):
    """``check`` mode: the answer cells on their own, and their answers on the cases."""
    sys.meta_path.insert(0, _Checkers())
    namespace = {"__name__": "__main__"}
    for source in request["prelude"]:
        try:
            exec(compile(source, "<imports>", "exec"), namespace)
        except BaseException:  # an import that fails here fails in the answers too
            pass
    emit(event="ready")
    for exercise in request["exercises"]:
        name = exercise["name"]
        if not exercise["evaluate"]:  # checked by an earlier process: only its definitions
            try:
                exec(compile(exercise["cell"] or "", f"<answer cell of {name}>", "exec"), namespace)
            except BaseException:
                pass
            continue
        emit(event="begin", name=name)
        if exercise["cell"] is not None:
            try:
                exec(compile(exercise["cell"], f"<answer cell of {name}>", "exec"), namespace)
            except BaseException as error:
                emit(event="cell_error", name=name, error=describe_exception(error))
        if name not in namespace:
            emit(event="missing", name=name)
        else:
            answer = namespace[name]
            if exercise["kind"] == "function" and callable(answer):
                module = getattr(answer, "__module__", None)
                if module != "__main__":  # not defined in the notebook: the grader flags it
                    emit(event="origin", name=name, module=str(module)[:200])
            answers = outcomes_of(exercise["kind"], answer, exercise["cases"])
            for index, outcome in enumerate(answers):
                emit(event="case", name=name, index=index, outcome=outcome)
        emit(event="end", name=name)


def main():
    mode = sys.argv[1]
    request = json.loads(sys.stdin.read())
    nonce = request.pop("nonce", None)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    emit = _take_channel(nonce)
    del nonce
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full log fails a write, not the run
    sys.addaudithook(_no_sockets)
    (run_cells if mode == "run" else check_answers)(request, emit)


if __name__ == "__main__":
    main()
