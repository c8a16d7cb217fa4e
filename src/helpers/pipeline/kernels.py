"""The notebooks' kernels: ordinary Jupyter kernels of the `reality` spec, one per notebook,
started in the run folder before their notebooks run (while the data are generated or derived),
each with the environment of the run and its stderr (start-up warnings, crashes) in
logs/<notebook>.log.

The kernels talk to the run over IPC (Unix domain sockets in Jupyter's runtime folder, readable
by the user only), not over TCP on localhost: no other local user can connect to them, and
ipykernel writes no warning about unencrypted TCP into the logs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from helpers.pipeline.commands import python_command
from helpers.pipeline.errors import RunError

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

KERNEL = "reality"


def check_kernel() -> None:
    """Raise RunError saying how to install the `reality` kernel when Jupyter does not find it."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        raise RunError(
            f"the Jupyter kernel {KERNEL!r} is not installed; run `make setup` or `"
            + python_command(f"-m ipykernel install --sys-prefix --name {KERNEL}") + "`"
        )


class Kernels:
    """One started kernel per notebook, working in run_dir, handed over to the notebook that
    runs on it; the others are shut down by keep_only or close."""

    def __init__(self, notebooks: Iterable[str], run_dir: Path) -> None:
        from jupyter_client.manager import KernelManager
        from jupyter_core.paths import jupyter_runtime_dir

        check_kernel()
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        (run_dir / "logs").mkdir(exist_ok=True)
        self._run_dir = run_dir
        self._managers: dict[str, KernelManager] = {}
        for notebook in notebooks:
            # IPC sockets <runtime>/reality-<id>-<port>, removed when the kernel shuts down
            socket = runtime / f"{KERNEL}-{uuid.uuid4().hex[:12]}"
            manager = KernelManager(kernel_name=KERNEL, transport="ipc", ip=str(socket))
            with open(self._log(notebook), "w", encoding="utf-8") as stderr:
                manager.start_kernel(cwd=str(run_dir), stderr=stderr)
            self._managers[notebook] = manager

    def _log(self, notebook: str) -> Path:
        return self._run_dir / "logs" / f"{notebook}.log"

    def take(self, notebook: str) -> KernelManager:
        """The notebook's kernel, handed over (whoever takes it shuts it down)."""
        return self._managers.pop(notebook)

    def keep_only(self, notebooks: Iterable[str]) -> None:
        """Shut down the kernels of the other notebooks (reused, not executed) and drop their
        logs, so that the reused outputs bring their own."""
        for notebook in set(self._managers) - set(notebooks):
            self.take(notebook).shutdown_kernel(now=True)
            self._log(notebook).unlink()

    def close(self) -> None:
        """Shut down every kernel not handed over (a run that stopped before its notebooks)."""
        for notebook in list(self._managers):
            self.take(notebook).shutdown_kernel(now=True)
