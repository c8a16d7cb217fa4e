"""`python -m helpers.kernel_stand_in SOCKET -f CONNECTION_FILE`: what Jupyter launches for a
kernel forked by the kernel server (helpers.kernel_server).

It hands the server its working directory, environment, kernel arguments and standard streams
(the kernel's log), gets the forked kernel's process id back, relays interrupt and terminate
signals to it, and exits with the kernel's exit code when the kernel exits. The kernel exits
when its stand-in is killed, and the stand-in kills it when its own parent is gone. Standard
library only, so that it starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time

#: largest request or reply, bytes (the environment is the bulk of a request)
MESSAGE_BYTES = 1 << 20


def stand_in(socket_path: str, kernel_arguments: list[str]) -> int:
    """Have the server fork a kernel with these arguments; wait for it; its exit code."""
    launcher = os.getppid()
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as server:
        server.connect(socket_path)
        request = {"argv": kernel_arguments, "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(server, [json.dumps(request).encode()], [0, 1, 2])
        kernel = int(server.recv(MESSAGE_BYTES))
        for signum in (signal.SIGINT, signal.SIGTERM):
            # the kernel leads its own process group (as Jupyter starts kernels)
            signal.signal(signum, lambda received, _: _signal(kernel, received))
        threading.Thread(target=_end_kernel_with_parent, args=(kernel, launcher),
                         daemon=True).start()
        exit_code = server.recv(MESSAGE_BYTES)  # sent by the kernel as it exits
    return int(exit_code) if exit_code else 1


def _end_kernel_with_parent(kernel: int, launcher: int) -> None:
    """Kill the kernel when the process that launched this stand-in is gone (polled each second,
    as ipykernel's parent poller ends a kernel whose parent is gone)."""
    while os.getppid() == launcher:
        time.sleep(1)
    _signal(kernel, signal.SIGKILL)


def _signal(kernel: int, signum: int) -> None:
    """Send signum to the kernel's process group, unless the kernel has exited already."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(kernel, signum)


if __name__ == "__main__":
    sys.exit(stand_in(sys.argv[1], sys.argv[2:]))
