"""The params schema: shipped files are valid, typos and wrong types stop the run, docs agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpers.params import ParamsError, load_params, schema_markdown, with_data_folder

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "params").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_params_file_is_valid(path: Path):
    params = load_params(path)
    assert params.name == path.stem


def test_the_expected_params_sets_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert {"default", "completers", "sensitivity-window"} <= names
    assert {"country-dnk", "country-nor", "country-ita"} <= names


def test_defaults_fill_missing_keys(tmp_path: Path):
    path = tmp_path / "mini.yaml"
    path.write_text("population: COMP\n")
    params = load_params(path)
    assert params["population"] == "COMP"
    assert params["data"] == "synthetic"
    assert params["sample_size"] == {
        "effect_size": 0.4,
        "alpha": 0.05,
        "power": 0.9,
        "dropout": 0.15,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("populaton: FAS\n", "unknown key 'populaton'; allowed keys: title, data"),
        ("sample_size: {power: 0.8, efect_size: 0.3}\n", "sample_size: unknown key 'efect_size'"),
        ("population: ITT\n", "population: 'ITT' is not allowed; allowed: FAS, COMP"),
        ("alpha: high\n", "alpha: expected float, got 'high'"),
        ("render: 1\n", "render: expected bool, got 1"),
        ("synthetic: {n: true}\n", "synthetic.n: expected int, got True"),
        ("sample_size: {power: 1.5}\n", "sample_size.power: 1.5 is outside [0.5, 0.999]"),
        ("data: /no/such/folder\n", "data: study data folder '/no/such/folder' does not exist"),
        ("- a\n- b\n", "expected a mapping of keys"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_params_name_the_key_and_the_rule(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_params_file_is_reported(tmp_path: Path):
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "none.yaml")


def test_data_override_must_exist(tmp_path: Path):
    params = load_params(ROOT / "params" / "default.yaml")
    assert with_data_folder(params, tmp_path)["data"] == str(tmp_path)
    with pytest.raises(ParamsError, match="--data"):
        with_data_folder(params, tmp_path / "missing")


def test_params_readme_documents_every_key():
    readme = (ROOT / "params" / "README.md").read_text()
    assert schema_markdown() in readme, "params/README.md is stale: `python -m helpers params`"


def test_shipped_files_differ_from_default_only_in_their_purpose():
    default = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    for path in SHIPPED:
        other = yaml.safe_load(path.read_text())
        changed = {k for k in default if other.get(k) != default[k]} - {"title"}
        assert len(changed) <= 1, f"{path.name} changes {sorted(changed)}"
