"""The grader's sandbox: limits, then bubblewrap, then ``grade_runner.py`` inside it.

``tools/grade.py`` starts this script for each step of each submission, with one JSON
argument (no secret is ever in it). It has two stages:

``outer`` (on the host, as the grader's user)
    Moves itself into the submission's control groups (when the grader made them: memory,
    process count and CPU share for all the submission's processes together), sets the
    per-process resource limits (address space, CPU time, file size, no core dumps, open
    files; and, as root, a process count for the submission's own user id), then becomes
    ``bwrap`` with the command line that the grader built (see ``grade.py``'s
    ``bwrap_argv``): new IPC, PID, network and UTS namespaces (and a user namespace when
    not root), a root of its own made of read-only binds of the Python environment,
    ``lib`` and this folder's two scripts, a fresh ``/proc``, a minimal ``/dev``, a
    size-limited tmpfs for ``/tmp`` and ``/dev/shm``, ``--die-with-parent`` and
    ``--new-session``.
``inner`` (inside bubblewrap)
    Makes the submission's folder ``/tmp/submission`` on the tmpfs, copies matplotlib's
    font cache into it, gives up root for the user id of its own that the grader chose
    (when grading as root), sets ``no_new_privs`` and starts the runner in Python's
    isolated mode with a clean environment.

``unsandboxed`` (only when the instructor asked for it by name, ``--unsandboxed``)
    The per-process limits and a scratch folder, nothing else: the submission runs with
    the grader's own rights.
"""

import ctypes
import json
import os
import resource
import shutil
import signal
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
#: Where the submission's folder is, inside the sandbox.
WORKDIR = "/tmp/submission"
#: Where the grader binds matplotlib's font cache (read-only), inside the sandbox.
MPL_CACHE = "/run/grader/matplotlib"


def join_cgroups(paths):
    """Move this process (and so all it starts) into each control group of ``paths``."""
    for path in paths:
        with open(os.path.join(path, "cgroup.procs"), "w") as file:
            file.write(str(os.getpid()))


def set_limits(config):
    """Per-process resource limits (inherited by everything the submission starts)."""
    memory, cpu = config["memory_bytes"], config["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (config["file_bytes"], config["file_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if config.get("uid") is not None:  # counted per user id: this submission's own
        processes = config["processes"]
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def environment(workdir, python, quick_run=None):
    """The runner's whole environment: nothing of the grader's own is passed on."""
    extra = {"CONVBOOK_QUICK_RUN": str(int(quick_run))} if quick_run else {}
    return {
        **extra,
        "PATH": os.path.dirname(python) + ":/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": "/tmp" if workdir == WORKDIR else workdir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib"),
        "IPYTHONDIR": os.path.join(workdir, ".ipython"),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def outer(config):
    join_cgroups(config.get("cgroups", []))
    set_limits(config)
    argv = config["bwrap"]
    os.execv(argv[0], argv)


def inner(config):
    os.makedirs(WORKDIR, mode=0o700)
    mpl = os.path.join(WORKDIR, ".matplotlib")
    if os.path.isdir(MPL_CACHE):
        shutil.copytree(MPL_CACHE, mpl)
    else:
        os.mkdir(mpl)
    uid = config.get("uid")
    libc = ctypes.CDLL(None, use_errno=True)
    if uid is not None:  # grading as root: a user id that owns nothing outside
        for folder, _, files in os.walk(WORKDIR, topdown=False):  # before 0700 closes it
            os.chown(folder, uid, uid)
            for name in files:
                os.chown(os.path.join(folder, name), uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    run_runner(config, WORKDIR)


def unsandboxed(config):
    workdir = config["scratch"]
    if config.get("mpl_cache"):
        shutil.copytree(config["mpl_cache"], os.path.join(workdir, ".matplotlib"))
    set_limits(config)
    run_runner(config, workdir)


def become_subreaper():
    """Make this process the one that inherits every orphan among its descendants: a
    process that double-forks and calls setsid() to leave the session is reparented here,
    not to init, so that :func:`end_descendants` can still end it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def children(spare=()):
    """The process ids whose parent is this process, except those in ``spare``."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in spare:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as file:
                stat = file.read()
        except OSError:  # it ended meanwhile
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after it
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == me:
            found.append(int(name))
    return found


def end_descendants(spare=(), rounds=200):
    """SIGKILL every child of this process but ``spare``, reap them, and again, until none
    is left: the orphans of a killed child are reparented here (a subreaper) and ended in
    the next round. Returns how many processes were ended."""
    ended = 0
    for _ in range(rounds):
        found = children(spare)
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in found:
            try:
                os.waitpid(pid, 0)
                ended += 1
            except ChildProcessError:
                pass
    return ended


def run_runner(config, workdir):
    """Start the runner as a child and wait for it (so that its end, and a signal, end it);
    then end whatever it left behind, daemons that left its session included."""
    argv = [config["python"], "-I", config["runner"], config["mode"]]
    become_subreaper()
    child = os.fork()
    if child == 0:
        try:
            os.chdir(workdir)
            quick_run = config.get("quick_run")
            os.execve(argv[0], argv, environment(workdir, config["python"], quick_run))
        except BaseException as error:
            print(f"grade_sandbox: cannot start the runner: {error!r}", file=sys.stderr)
        finally:
            os._exit(127)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    while True:
        pid, status = os.waitpid(child, 0)
        if pid == child:
            break
    end_descendants()
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


def main():
    stage, config = sys.argv[1], json.loads(sys.argv[2])
    try:
        {"outer": outer, "inner": inner, "unsandboxed": unsandboxed}[stage](config)
    except BaseException as error:
        print(f"grade_sandbox ({stage}): {error!r}", file=sys.stderr)
        os._exit(126)


if __name__ == "__main__":
    main()
