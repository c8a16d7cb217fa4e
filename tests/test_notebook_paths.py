"""Where a notebook opened in place writes: output/interactive/<data>/<notebook>/, <data> named
after the analysis datasets it read, so that exploring two runs' data keeps both outputs."""

from __future__ import annotations

from pathlib import Path

from helpers.pipeline import notebook_paths
from helpers.pipeline.notebook_paths import INTERACTIVE, adam_folder, output_folder


def adam(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "adsl.csv").write_text("USUBJID\n")
    return folder


def test_interactive_outputs_are_kept_apart_by_the_data_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(notebook_paths._READ, "adam", notebook_paths.DEFAULT_ADAM)
    assert output_folder(None, "01-disposition", "tables") == (
        INTERACTIVE / "default" / "01-disposition" / "tables")
    adam_folder(str(adam(tmp_path / "output" / "country-nor" / "adam")))
    assert output_folder(None, "01-disposition", "tables") == (
        INTERACTIVE / "country-nor" / "01-disposition" / "tables")
    adam_folder(str(adam(tmp_path / "my-derived")))  # `helpers derive DIR --out my-derived`
    assert output_folder(None, "04-safety", "ard") == (
        INTERACTIVE / "my-derived" / "04-safety" / "ard")
    assert output_folder("tables", "04-safety", "tables") == Path("tables")  # given: as given
