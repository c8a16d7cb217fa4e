"""Where a notebook reads and writes: the folders the runner injects, or, for a notebook opened
in place (Jupyter, nbconvert, papermill by hand), defaults that work wherever its kernel starts.

Opened in place, a notebook reads the default run's analysis datasets (output/default/adam,
written by `make report`) and writes its tables and figures under output/interactive/<notebook>/
(git-ignored, like all of output/), never into the repository's tracked folders. A folder given
as a parameter is used as given (relative to the kernel's working directory, as the runner
passes them).
"""

from __future__ import annotations

from pathlib import Path

from helpers.pipeline.provenance import REPO_ROOT

DEFAULT_ADAM = REPO_ROOT / "output" / "default" / "adam"
INTERACTIVE = REPO_ROOT / "output" / "interactive"


def adam_folder(adam_dir: str | None) -> Path:
    """The analysis datasets' folder: adam_dir, or the default run's when None.

    Raises FileNotFoundError saying how to create it when it holds no adsl.csv."""
    folder = Path(adam_dir) if adam_dir is not None else DEFAULT_ADAM
    if not (folder / "adsl.csv").is_file():
        raise FileNotFoundError(
            f"no analysis datasets in {folder}: run `make report` in {REPO_ROOT} first (it "
            "writes output/default/adam), or set adam_dir to a run's adam/ folder"
        )
    return folder


def output_folder(given: str | None, notebook: str, kind: str) -> Path:
    """Where the notebook writes its `kind` ("tables" or "figures"): given, or, when None,
    output/interactive/<notebook>/<kind>."""
    return Path(given) if given is not None else INTERACTIVE / notebook / kind
