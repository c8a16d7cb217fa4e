"""Commands that messages print, spelled so that they run as printed in a fresh shell from the
current directory: with this interpreter's path (`.venv/bin/python -m helpers ...` for the
project's virtual environment, an absolute path elsewhere), never a bare `python`, which outside
an activated environment is another interpreter without the helpers."""

from __future__ import annotations

import sys
from pathlib import Path


def python_command(arguments: str) -> str:
    """`<this interpreter> <arguments>`, the interpreter relative to the working directory when it
    lies below it (e.g. `.venv/bin/python -m helpers render output/default`)."""
    python = Path(sys.executable)
    if python.is_relative_to(Path.cwd()):
        python = python.relative_to(Path.cwd())
    return f"{python} {arguments}"
