"""Where a notebook reads and writes: the folders the runner injects, or, for a notebook opened
in place (Jupyter, nbconvert, papermill by hand), defaults that work wherever its kernel starts.

Opened in place, a notebook reads the default run's analysis datasets (output/default/adam,
written by `make report`) and writes its tables and figures under
output/interactive/<data>/<notebook>/ (git-ignored, like all of output/), never into the
repository's tracked folders. <data> names the analysis datasets the notebook read last
(adam_folder): the run whose adam/ it is (`default` for output/default/adam), else the folder's
own name; so exploring another run's data never overwrites the default's outputs. A folder
given as a parameter is used as given (relative to the kernel's working directory, as the
runner passes them).
"""

from __future__ import annotations

from pathlib import Path

from helpers.pipeline.provenance import REPO_ROOT

DEFAULT_ADAM = REPO_ROOT / "output" / "default" / "adam"
INTERACTIVE = REPO_ROOT / "output" / "interactive"
#: the analysis datasets' folder that adam_folder() chose last in this kernel
_READ = {"adam": DEFAULT_ADAM}


def adam_folder(adam_dir: str | None) -> Path:
    """The analysis datasets' folder: adam_dir, or the default run's when None.

    Raises FileNotFoundError saying how to create it when it holds no adsl.csv."""
    folder = Path(adam_dir) if adam_dir is not None else DEFAULT_ADAM
    if not (folder / "adsl.csv").is_file():
        raise FileNotFoundError(
            f"no analysis datasets in {folder}: run `make report` in {REPO_ROOT} first (it "
            "writes output/default/adam), or set adam_dir to a run's adam/ folder"
        )
    _READ["adam"] = folder
    return folder


def data_name(adam: Path) -> str:
    """The name of an analysis datasets' folder in output/interactive/: its run's name for a
    run's adam/ (output/completers/adam -> completers), else its own name."""
    adam = adam.resolve()
    return adam.parent.name if adam.name == "adam" else adam.name


def output_folder(given: str | None, notebook: str, kind: str) -> Path:
    """Where the notebook writes its `kind` ("tables", "figures", "ard"): given, or, when None,
    output/interactive/<data>/<notebook>/<kind>, <data> the data_name of the analysis datasets
    that adam_folder() chose."""
    if given is not None:
        return Path(given)
    return INTERACTIVE / data_name(_READ["adam"]) / notebook / kind
