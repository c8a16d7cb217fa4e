"""Jupyter kernels forked from one process that imported the notebooks' modules once.

A fresh kernel spends about 4 CPU-seconds importing pandas, scipy, matplotlib and the helpers
before its notebook's first cell can run; a run of four notebooks pays that four times. The
kernel server makes those imports once (in the background, while the run derives the data) and
then forks one kernel per request, as multiprocessing's forkserver forks workers. Each forked
kernel is an ordinary ipykernel, started from the connection file Jupyter gives it, with the
interpreter and flags of the kernel spec and the working directory, environment and standard
streams that Jupyter gave the kernel's stand-in (helpers.kernel_stand_in, the process Jupyter
launches and manages in its place). It leads its own session, as a kernel Jupyter starts does.

Linux only (fork), and only for kernel specs that run `-m ipykernel_launcher` (`can_fork`):
elsewhere kernels start as usual.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from traitlets import Unicode

from helpers.kernel_stand_in import MESSAGE_BYTES

#: modules the notebooks import; the server imports them once for every kernel it forks
PRELOAD = ("pandas", "matplotlib.pyplot", "scipy.stats", "helpers.caregiver", "helpers.change",
           "helpers.derive", "helpers.disposition", "helpers.efficacy", "helpers.figures",
           "helpers.labels", "helpers.population", "helpers.safety", "helpers.stats",
           "helpers.tables")
LAUNCHER = ["-m", "ipykernel_launcher"]


class ForkedKernelSpecs(KernelSpecManager):
    """Kernel specs whose command is the stand-in of a kernel forked by the server at
    `socket_path` (same interpreter and flags)."""

    socket_path = Unicode()

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = super().get_kernel_spec(kernel_name)
        interpreter, arguments = _split_launcher(spec.argv)
        spec.argv = [*interpreter, "-m", "helpers.kernel_stand_in", self.socket_path, *arguments]
        return spec


def forked_kernel_manager(kernel_name: str, socket_path: str) -> KernelManager:
    """A jupyter_client KernelManager (not started) whose kernel the server at socket_path forks."""
    specs = ForkedKernelSpecs(socket_path=socket_path)
    return KernelManager(kernel_name=kernel_name, kernel_spec_manager=specs)


def can_fork(kernel_name: str) -> bool:
    """Whether kernels of this spec can be forked here: on Linux, of an ipykernel command."""
    argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    return sys.platform == "linux" and _split_launcher(argv) is not None


def _split_launcher(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """A kernel command `<interpreter and flags> -m ipykernel_launcher <arguments>`, split (None
    when it is another command)."""
    for i in range(len(argv) - 1):
        if argv[i : i + 2] == LAUNCHER:
            return argv[:i], argv[i + 2 :]
    return None


class KernelServer:
    """The server process for one kernel spec that `can_fork` (started on construction; `close`
    ends it); `socket_path` is where its kernels are requested (forked_kernel_manager)."""

    def __init__(self, kernel_name: str) -> None:
        interpreter, _ = _split_launcher(KernelSpecManager().get_kernel_spec(kernel_name).argv)
        self._folder = Path(tempfile.mkdtemp(prefix="reality-kernels-"))  # private: mode 0700
        self.socket_path = str(self._folder / "server")
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as listener:
            listener.bind(self.socket_path)
            listener.listen()
            # stdin: the server ends when this pipe closes (close(), or this process ending)
            self._process = subprocess.Popen(
                [*interpreter, "-m", "helpers.kernel_server", str(listener.fileno())],
                stdin=subprocess.PIPE, pass_fds=[listener.fileno()], start_new_session=True,
            )

    def close(self) -> None:
        """End the server (kernels it forked live on until they are shut down)."""
        self._process.stdin.close()
        self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


# --- the server process ------------------------------------------------------------------------
def serve(listener: socket.socket) -> None:
    """Import PRELOAD, then fork a kernel for each request until stdin closes."""
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # ipykernel's
    import ipykernel.kernelapp  # noqa: F401

    for module in PRELOAD:
        with contextlib.suppress(ImportError):  # the notebook's own import reports it
            importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system
    events = selectors.DefaultSelector()
    events.register(listener, selectors.EVENT_READ)
    events.register(sys.stdin, selectors.EVENT_READ)
    while True:
        for key, _ in events.select():
            if key.fileobj is sys.stdin:
                if not os.read(sys.stdin.fileno(), 1 << 10):
                    return
                continue
            connection, _ = listener.accept()
            with connection:
                request, streams, _, _ = socket.recv_fds(connection, MESSAGE_BYTES, 3)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    _run_kernel(connection, json.loads(request), streams)
                for fd in streams:
                    os.close(fd)
                connection.send(str(pid).encode())


def _run_kernel(stand_in: socket.socket, request: dict, streams: list[int]) -> None:
    """In the forked child: become the kernel the stand-in asked for; never returns."""
    exit_code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(streams):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.argv[0], *request["argv"]]
        if "numpy" in sys.modules:  # a fresh process seeds numpy's global generator afresh
            sys.modules["numpy"].random.seed()
        threading.Thread(target=_exit_with, args=(stand_in,), daemon=True).start()
        from ipykernel.kernelapp import launch_new_instance

        # as a fresh kernel reads it from its environment (ipykernel read it in the server)
        parent = f"--IPKernelApp.parent_handle={os.environ.get('JPY_PARENT_PID') or 0}"
        launch_new_instance(argv=[*request["argv"], parent])
        exit_code = 0
    except SystemExit as exc:
        exit_code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            stand_in.send(str(exit_code).encode())
        finally:
            os._exit(exit_code)


def _exit_with(stand_in: socket.socket) -> None:
    """The kernel ends when its stand-in does (killed by Jupyter): it never sends anything."""
    stand_in.recv(1)
    os._exit(1)


if __name__ == "__main__":
    if sys.path[0] in ("", os.getcwd()):  # as ipykernel_launcher: no imports from the cwd
        del sys.path[0]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(socket.socket(fileno=int(sys.argv[1])))
