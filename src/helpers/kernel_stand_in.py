"""`python -m helpers.kernel_stand_in SOCKET -f CONNECTION_FILE`: what Jupyter launches for a
kernel forked by the kernel server (helpers.kernel_server).

It hands the server its working directory, environment, kernel arguments and standard streams
(the kernel's log), gets the forked kernel's process id back, relays interrupt and terminate
signals to it, and exits with the kernel's exit code when the kernel exits. The kernel exits
when its stand-in is killed. Standard library only, so that it starts in milliseconds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

#: largest request or reply, bytes (the environment is the bulk of a request)
MESSAGE_BYTES = 1 << 20


def stand_in(socket_path: str, kernel_arguments: list[str]) -> int:
    """Have the server fork a kernel with these arguments; wait for it; its exit code."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as server:
        server.connect(socket_path)
        request = {"argv": kernel_arguments, "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(server, [json.dumps(request).encode()], [0, 1, 2])
        kernel = int(server.recv(MESSAGE_BYTES))
        for signum in (signal.SIGINT, signal.SIGTERM):
            # the kernel leads its own process group (as Jupyter starts kernels)
            signal.signal(signum, lambda received, _: os.killpg(kernel, received))
        exit_code = server.recv(MESSAGE_BYTES)  # sent by the kernel as it exits
    return int(exit_code) if exit_code else 1


if __name__ == "__main__":
    sys.exit(stand_in(sys.argv[1], sys.argv[2:]))
