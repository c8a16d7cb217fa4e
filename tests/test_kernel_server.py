"""helpers.kernel_server: a forked kernel behaves like the kernel Jupyter would have started.

Each test talks to a real kernel through jupyter_client, as papermill does."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers.kernel_server import KernelServer, _split_launcher, can_fork, forked_kernel_manager
from helpers.runner import KERNEL

pytestmark = pytest.mark.skipif(not can_fork(KERNEL), reason="kernels fork on Linux only")


@pytest.fixture(scope="module")
def server():
    server = KernelServer(KERNEL)
    yield server
    server.close()


def run_code(client, code: str, timeout: float = 60) -> dict:
    """Execute code; the reply's content plus its stdout and error name."""
    msg_id = client.execute(code)
    stdout, error = "", None
    while True:
        message = client.get_iopub_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream" and content["name"] == "stdout":
            stdout += content["text"]
        elif kind == "error":
            error = content["ename"]
        elif kind == "status" and content["execution_state"] == "idle":
            return {"stdout": stdout, "error": error}


@pytest.fixture
def kernel(server, tmp_path: Path):
    """A started forked kernel: (manager, client, its working folder, its stderr file)."""
    log = tmp_path / "kernel.log"
    with open(log, "w") as stderr:
        manager = forked_kernel_manager(KERNEL, server.socket_path)
        manager.start_kernel(cwd=str(tmp_path), stderr=stderr, env={**os.environ, "MARK": "x1"})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield manager, client, tmp_path, log
    client.stop_channels()
    if manager.has_kernel:
        manager.shutdown_kernel(now=True)


def kernel_pid(client) -> int:
    return int(run_code(client, "import os; print(os.getpid())")["stdout"])


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while process_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not process_exists(pid)


def test_a_forked_kernel_has_its_cwd_environment_and_streams_and_the_preloaded_modules(kernel):
    manager, client, folder, log = kernel
    code = (
        "import os, sys\n"
        "print(os.getcwd(), os.environ['MARK'], 'pandas' in sys.modules)\n"
        "print('to the log', file=sys.__stderr__, flush=True)\n"
    )
    out = run_code(client, code)
    assert out["error"] is None
    assert out["stdout"].split() == [str(folder), "x1", "True"]
    assert "to the log" in log.read_text()
    # not the stand-in Jupyter launched: a child of the server, leading its own session
    pid = kernel_pid(client)
    assert pid != manager.provisioner.process.pid
    assert os.getsid(pid) == pid


def test_two_forked_kernels_do_not_share_state(server, tmp_path: Path):
    managers = [forked_kernel_manager(KERNEL, server.socket_path) for _ in range(2)]
    clients = []
    for manager in managers:
        manager.start_kernel(cwd=str(tmp_path))
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        clients.append(client)
    run_code(clients[0], "shared = 1")
    assert run_code(clients[1], "shared")["error"] == "NameError"
    draws = [run_code(c, "import numpy; print(numpy.random.rand())")["stdout"] for c in clients]
    assert draws[0] != draws[1]  # each seeds numpy's global generator afresh, as a new process
    for client, manager in zip(clients, managers, strict=True):
        client.stop_channels()
        manager.shutdown_kernel()


def test_an_interrupt_reaches_the_forked_kernel(kernel):
    manager, client, _, _ = kernel
    msg_id = client.execute("import time; time.sleep(60)")
    time.sleep(1)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert run_code(client, "print(1 + 1)")["stdout"].strip() == "2"  # still alive


def test_a_shutdown_ends_the_kernel_and_its_stand_in(kernel):
    manager, client, _, _ = kernel
    pid = kernel_pid(client)
    stand_in = manager.provisioner.process
    manager.shutdown_kernel()  # graceful: asks the kernel to exit
    assert wait_until_gone(pid)
    assert stand_in.wait(timeout=20) == 0


def test_a_killed_stand_in_takes_its_kernel_with_it(kernel):
    manager, client, _, _ = kernel
    pid = kernel_pid(client)
    manager.shutdown_kernel(now=True)  # Jupyter kills the stand-in, the process it launched
    assert wait_until_gone(pid)


def test_only_ipykernel_commands_can_be_forked():
    assert _split_launcher(["py", "-X", "o", "-m", "ipykernel_launcher", "-f", "c.json"]) == (
        ["py", "-X", "o"], ["-f", "c.json"])
    assert _split_launcher(["R", "--slave", "-e", "IRkernel::main()", "--args", "c.json"]) is None


LAUNCHER = """
import sys
from helpers.kernel_server import forked_kernel_manager
manager = forked_kernel_manager(sys.argv[2], sys.argv[1])
manager.start_kernel()
client = manager.client()
client.start_channels()
client.wait_for_ready(timeout=60)
client.execute("import os; print(os.getpid())")
while True:
    message = client.get_iopub_msg(timeout=60)
    if message["msg_type"] == "stream":
        print(message["content"]["text"].strip(), flush=True)
        break
sys.stdin.read()  # until killed
"""


def test_a_kernel_ends_when_the_process_that_started_it_dies(server):
    """As ipykernel's parent poller ends a kernel whose parent is gone, the stand-in ends its
    kernel when the process that launched the stand-in dies without shutting it down."""
    import subprocess
    import sys

    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, server.socket_path, KERNEL],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(launcher.stdout.readline())
    assert process_exists(pid)
    launcher.kill()
    launcher.wait()
    assert wait_until_gone(pid)
