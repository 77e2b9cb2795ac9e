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
    imported here.
    Events: ``ready``; then per exercise ``begin``, ``cell_error`` (when its cell
    raised), ``missing`` (when the name is not defined), one ``case`` per case with an
    ``outcome``, and ``end``.

An outcome is ``{"value": <encoded>, "mutated": bool}`` or ``{"raised": "Type:
message", "not_implemented": bool}``. Values travel as :func:`encode` makes them: JSON for
plain data, ``.npy`` bytes (never pickles) for arrays, and only a type's name for
anything else. :func:`decode`, used by the grader, reads them back without running any
code of the submission.
"""

import base64
import io
import json
import os
import re
import signal
import sys

import numpy as np

from lib.exercises.checker import CALLS_A_STUB, stub_called

#: The largest array (bytes) that travels back to the grader; a bigger one is "opaque".
MAX_ARRAY_BYTES = 8 * 2**20
#: The most items of a list or tuple, and how deep they may nest, that travel back.
MAX_ITEMS, MAX_DEPTH = 10_000, 4
#: The modules that a submission cannot import in ``check`` mode: the chapters' checkers,
#: which hold the reference solutions.
BLOCKED = "lib.exercises.chapter"


# --- values, there and back -----------------------------------------------------------------


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def encode(value, depth=0):
    """Describe ``value`` as JSON data that :func:`decode` turns back into a value.

    Examples
    --------
    >>> decode(encode((np.arange(3), None, 2.5)))
    (array([0, 1, 2]), None, 2.5)
    >>> type(decode(encode(object()))).__name__
    'object'
    """
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
    elif type(value) in (list, tuple) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {"t": type(value).__name__, "items": [encode(v, depth + 1) for v in value]}
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
        value = function(*copies)
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
    return {"value": encode(value), "mutated": bool(mutated)}


# --- the process ------------------------------------------------------------------------------


class _Blocked:
    """An import hook that refuses the chapters' checkers (they hold the references)."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith(BLOCKED):
            raise ImportError(f"{name} cannot be imported while a submission is graded")
        return None


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
    sys.meta_path.insert(0, _Blocked())
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
        elif exercise["kind"] == "value":
            emit(event="case", name=name, index=0, outcome={"value": encode(namespace[name])})
        else:
            function = namespace[name]
            module = getattr(function, "__module__", None)
            if module != "__main__":  # not defined in the notebook: the grader flags it
                emit(event="origin", name=name, module=str(module)[:200])
            for index, args in enumerate(exercise["cases"]):
                outcome = call(function, tuple(decode(a) for a in args))
                emit(event="case", name=name, index=index, outcome=outcome)
                if outcome.get("not_implemented"):
                    break
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
