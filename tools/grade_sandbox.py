"""The grader's sandbox: set limits and walls, then start ``grade_runner.py`` inside them.

``tools/grade.py`` starts this script for each step of each submission, with one JSON
argument (no secret is ever in it) that says what to set up. It runs before any of the
submission's code, in one of three isolation levels (the grader picks the strongest that
the machine allows, and says which):

``root`` (the grader runs as root)
    Under ``unshare``: new network, PID and mount namespaces. The network namespace has
    no interface but a loopback that is down; in the PID namespace this script is
    process 1, so when it ends every process the submission started ends too. In the
    mount namespace, ``/tmp``, ``/var/tmp`` and ``/dev/shm`` are fresh, size-limited
    tmpfs, the submission's folder is ``/tmp/submission`` on that tmpfs, and the folders
    it must not read (submissions, results, the instructor's notebooks, the home folders
    but for the Python installation and the repository) are covered by empty tmpfs. In
    the ``check`` step, so are the checkers' reference solutions
    (``lib/exercises/chapter*.py``, by ``/dev/null``, and their byte code). Then the runner runs
    under a user id of its own, which owns nothing else: it cannot write anywhere but
    its tmpfs, nor signal or trace another process.
``userns`` (not root, unprivileged user namespaces allowed)
    The same namespaces inside a user namespace, but the runner keeps the instructor's
    user id: it could still write wherever the instructor can, outside the covered
    folders.
``limits`` (neither)
    Resource limits and a folder of its own in the instructor's temporary directory;
    sockets are refused by the runner's audit hook only.

In every level: limits on address space (memory), CPU time, file size, core dumps and
open files, ``no_new_privs``, a clean environment, and Python's isolated mode.
"""

import ctypes
import json
import os
import resource
import shutil
import signal
import sys
from pathlib import Path

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC = 1, 2, 4, 4096, 16384
PR_SET_NO_NEW_PRIVS = 38
#: Where the submission's folder appears inside the mount namespace.
WORKDIR = "/tmp/submission"


def _mount(source, target, fstype, flags, options):
    libc = ctypes.CDLL(None, use_errno=True)
    fstype = fstype.encode() if fstype else None
    options = options.encode() if options else None
    if libc.mount(source.encode(), target.encode(), fstype, ctypes.c_ulong(flags), options):
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source} on {target}: {os.strerror(error)}")


def _under(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _closed_ancestors(path):
    """The folders above ``path`` that other users cannot pass through (no o+x)."""
    closed, parts = [], path.strip("/").split("/")
    for depth in range(1, len(parts)):
        folder = "/" + "/".join(parts[:depth])
        if not os.stat(folder).st_mode & 0o001:
            closed.append(folder)
    return closed


def _bind_back(held):
    """Bind each held folder (path -> open descriptor) back at its path, then close it."""
    for path, descriptor in held.items():
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{descriptor}", path, "", MS_BIND | MS_REC, "")
        os.close(descriptor)


def build_walls(config):
    """Inside the new mount namespace: cover and expose folders, fresh tmpfs, a work folder.

    Home folders (``/root``, ``/home``) and any folder that other users cannot pass
    through are covered by an empty tmpfs; only what the runner needs (the Python
    installation, the virtual environment, the repository) is brought back, by bind
    mounts. Then the folders to hide are covered, and the temporary folders replaced.
    """
    cache = {}
    template = config.get("mpl_cache")
    if template and os.path.isdir(template):  # read before /tmp is covered
        for entry in os.scandir(template):
            if entry.is_file() and entry.stat().st_size < 16 * 2**20:
                cache[entry.name] = Path(entry.path).read_bytes()
    needed = [os.path.realpath(p) for p in config["expose"]]
    covers = {"/root", "/home"}
    for path in needed:
        covers.update(_closed_ancestors(path))
    covers = sorted(c for c in covers if os.path.isdir(c) and not os.path.islink(c))
    covers = [c for c in covers if not any(_under(c, o) and c != o for o in covers)]
    temporary = [
        path
        for path in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
        if os.path.isdir(path) and not os.path.islink(path)
    ]
    # Needed folders under a folder about to be covered (a repository cloned into /tmp,
    # say) are held open now and bound back after the cover.
    held = {
        p: os.open(p, os.O_PATH | os.O_DIRECTORY)
        for p in needed
        if any(_under(p, c) for c in covers + temporary)
    }
    for folder in covers:
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    _bind_back({p: held.pop(p) for p in list(held) if any(_under(p, c) for c in covers)})
    for path in config["hide"]:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
    for path in config.get("hide_files", []):
        if os.path.isfile(path):
            _mount("/dev/null", path, "", MS_BIND, "")
    size = config["tmp_bytes"]
    for path in temporary:
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    _bind_back(held)
    os.mkdir(WORKDIR, 0o700)
    mpl = Path(WORKDIR, ".matplotlib")
    mpl.mkdir()
    for name, data in cache.items():
        (mpl / name).write_bytes(data)
    uid = config.get("uid")
    if uid is not None:
        for folder, _, files in os.walk(WORKDIR):
            os.chown(folder, uid, uid)
            for name in files:
                os.chown(os.path.join(folder, name), uid, uid)
    return WORKDIR


def set_limits(config):
    """Resource limits of the runner (inherited by anything it starts)."""
    memory, cpu = config["memory_bytes"], config["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (config["file_bytes"], config["file_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if config.get("uid") is not None:  # processes are counted per user: this user only
        resource.setrlimit(resource.RLIMIT_NPROC, (128, 128))


def drop_privileges(config):
    uid = config.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def main():
    config = json.loads(sys.argv[1])
    if config["level"] in ("root", "userns"):
        workdir = build_walls(config)
    else:
        workdir = config["scratch"]
    environment = {
        "PATH": os.path.dirname(config["python"]) + ":/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": "/tmp" if config["level"] != "limits" else workdir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib"),
        "IPYTHONDIR": os.path.join(workdir, ".ipython"),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    if config["level"] == "limits" and config.get("mpl_cache"):
        shutil.copytree(config["mpl_cache"], environment["MPLCONFIGDIR"], dirs_exist_ok=True)
    argv = [config["python"], "-I", config["runner"], config["mode"]]
    child = os.fork()
    if child == 0:  # the runner: limited, unprivileged, then a fresh interpreter
        try:
            os.chdir(workdir)
            set_limits(config)
            drop_privileges(config)
            os.execve(argv[0], argv, environment)
        except BaseException as error:
            print(f"grade_sandbox: cannot start the runner: {error!r}", file=sys.stderr)
        finally:
            os._exit(127)
    # This process waits; in the PID namespace it is process 1, and its end ends them all.
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            break
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
