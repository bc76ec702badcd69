"""Start ``python -m analysis ...`` (or a test's hook script) as its own process, without paying
the imports each time.

Most tests run the command line in this process (``cli.main(["--project", tmp, ...])``,
tests/projectcopy.py ``cli``); the few for which a real process is the point (a SIGKILL midway, a
lock held by another pid, a hook that breaks the disk, the ``python -m analysis`` entry point) start
one here. A fresh interpreter spends ~0.5 s importing pandas, pyarrow, pandera, geopandas and
matplotlib before it runs a line of ours, so each command is a fork of a small server process (one
per test process) that has imported those third-party libraries only, never ``analysis``: the
child imports the package exactly as the interpreter would (sys.path = the script's folder or cwd,
PYTHONPATH, then the interpreter's own). It still has its own pid, cwd, environment,
stdin/stdout/stderr, signals and exit code, so what those tests assert (files left whole after a
kill, a lock held by a pid) is asserted about a real process.

Calls that need what only a fresh interpreter gives (``preexec_fn`` resource limits, kernels,
pytest itself) keep using ``subprocess`` directly.
"""

from __future__ import annotations

import atexit
import builtins
import functools
import io
import json
import locale
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

# Third-party libraries the command line imports (`python -X importtime -m analysis build`; nbformat and
# papermill for `run`, `recheck` and `reproduce`, nbformat alone ~1 s through jsonschema's format checkers).
PRELOAD = ["numpy", "pandas", "pyarrow.parquet", "pandera.pandas", "geopandas", "pyogrio", "matplotlib.pyplot",
           "us", "python_calamine", "openpyxl", "nbformat", "papermill"]  # fmt: skip


# ----------------------------------------------------------------------------- the test's side


class _Server:
    """The warm process. Requests go in as JSON lines; it answers each with the child's pid at
    once, and later, as children end, with their exit codes (-N for a signal, as subprocess)."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
        env.setdefault("MPLBACKEND", "Agg")
        self.proc = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.buffer = b""
        self.codes: dict[int, int] = {}
        self.base_path = self._message(None)["path"]

    def _message(self, timeout: float | None) -> dict | None:
        """The next line from the server, or None if none came within ``timeout`` seconds."""
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the clirun server ended")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def _take(self, message: dict) -> dict:
        if "code" in message:
            self.codes[message["pid"]] = message["code"]
        return message

    def start(self, request: dict) -> int:
        self.proc.stdin.write((json.dumps({**request, "path": self.base_path}) + "\n").encode())
        self.proc.stdin.flush()
        while "started" not in (message := self._take(self._message(None))):
            pass
        return message["started"]

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The exit code of ``pid``, or None if it is still running after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while pid not in self.codes:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            message = self._message(left)
            if message is None:
                return None
            self._take(message)
        return self.codes[pid]


@functools.cache
def _server() -> _Server:
    return _Server()


class Forked:
    """What ``subprocess.Popen(argv, cwd=..., env=..., stdout=PIPE, stderr=PIPE)`` gives, for a fork."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str], text: bool = False) -> None:
        self.args = [sys.executable, *map(str, argv)]
        self.text = text
        self._tmp = tempfile.TemporaryDirectory(prefix="clirun-")
        self._out, self._err = Path(self._tmp.name) / "stdout", Path(self._tmp.name) / "stderr"
        self._out.touch()
        self._err.touch()
        self.returncode: int | None = None
        self.pid = _server().start({"argv": self.args[1:], "cwd": str(cwd), "env": dict(env), "out": str(self._out),
                                    "err": str(self._err)})  # fmt: skip

    def poll(self) -> int | None:
        return self.wait(timeout=0) if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            self.returncode = _server().wait(self.pid, timeout)
            if self.returncode is None and timeout != 0:
                raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple:
        self.wait(timeout)
        out, err = self._read(self._out), self._read(self._err)
        self._tmp.cleanup()
        return out, err

    def _read(self, path: Path):
        """Bytes, or text decoded with universal newlines as ``subprocess`` does with ``text=True``."""
        data = path.read_bytes() if path.exists() else b""
        return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read() if self.text else data


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    """``subprocess.run([python, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)``."""
    proc = Forked(argv, cwd=cwd, env=env, text=True)
    try:
        out, err = proc.communicate(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise subprocess.TimeoutExpired(proc.args, timeout, out, err) from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_analysis(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m analysis *args``, as ``run``."""
    return run(["-m", "analysis", *map(str, args)], cwd=cwd, env=env, timeout=timeout)


# ----------------------------------------------------------------------------- the server's side


def _child(request: dict) -> None:
    """In the forked child: become ``python *argv`` and exit with its code."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    env, argv, cwd = request["env"], request["argv"], request["cwd"]
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for fd, name, flags in ((0, os.devnull, os.O_RDONLY), (1, request["out"], os.O_WRONLY),
                            (2, request["err"], os.O_WRONLY)):  # fmt: skip
        target = os.open(name, flags)
        os.dup2(target, fd)
        os.close(target)
    encoding = locale.getpreferredencoding(False)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encoding, errors="backslashreplace",
                                  line_buffering=True)  # fmt: skip
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    pythonpath = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    code = 0
    try:
        if argv[0] == "-m":
            sys.path[:] = [cwd, *pythonpath, *request["path"]]
            sys.argv = ["-m", *argv[2:]]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        elif argv[0] == "-c":
            sys.path[:] = ["", *pythonpath, *request["path"]]
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": builtins})
        else:
            sys.path[:] = [os.path.dirname(os.path.abspath(argv[0])), *pythonpath, *request["path"]]
            sys.argv = list(argv)
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as stop:
        if isinstance(stop.code, int) or stop.code is None:
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve() -> None:
    import importlib

    base_path = sys.path[1:]  # sys.path[0] is this script's folder; a child puts its own first
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so SIGCHLD wakes select through wake_w

    def say(message: dict) -> None:
        os.write(1, (json.dumps(message) + "\n").encode())

    say({"path": base_path})
    pending = b""
    while True:
        ready = select.select([0, wake_r], [], [])[0]
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
        while True:  # reap every child that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            say({"pid": pid, "code": os.waitstatus_to_exitcode(status)})
        if 0 in ready:
            chunk = os.read(0, 65536)
            if not chunk:
                return  # the test process ended
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                pid = os.fork()
                if pid == 0:
                    os.close(wake_r)
                    os.close(wake_w)
                    _child(json.loads(line))
                say({"started": pid})


if __name__ == "__main__":
    _serve()
