"""The params schema: shipped files are valid, typos and wrong types stop the run, docs agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpers.pipeline.params import (
    ParamsError,
    check_country,
    load_params,
    schema_markdown,
    with_data_folder,
)

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
    assert params["sensitivity"] == {"imputations": 50, "seed": 2029, "deltas": 20}


KEYS = ("data, synthetic, data_encoding, population, country, exclude_out_of_window, alpha, "
        "sample_size, sensitivity, render, disclosure")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("populaton: FAS\n", f"unknown key 'populaton'; allowed keys: {KEYS}"),
        ("title: x\n", f"unknown key 'title'; allowed keys: {KEYS}"),
        (
            "sample_size: {power: 0.8, efect_size: 0.3}\n",
            "sample_size: unknown key 'efect_size'; allowed keys: effect_size, alpha, power, "
            "dropout",
        ),
        ("population: ITT\n", "population: 'ITT' is not allowed; allowed: FAS, COMP"),
        ("data_encoding: windows-1252\n", None),  # each allowed encoding is, the others not
        ("data_encoding: latin-1\n", None),
        ("data_encoding: wlatin1\n", "data_encoding: 'wlatin1' is not allowed; allowed: "
         "utf-8, windows-1252, latin-1, iso-8859-15"),
        ("data_encoding: UTF-8\n", "data_encoding: 'UTF-8' is not allowed; allowed: "
         "utf-8, windows-1252, latin-1, iso-8859-15"),
        ("data_encoding: 1252\n", "data_encoding: 1252 has the wrong type; allowed: str"),
        ("alpha: high\n", "alpha: 'high' has the wrong type; allowed: float"),
        ("render: 1\n", "render: 1 has the wrong type; allowed: bool"),
        ("synthetic: {n: true}\n", "synthetic.n: True has the wrong type; allowed: int"),
        ("synthetic: 3\n", "synthetic: 3 has the wrong type; allowed: a mapping of seed, n"),
        ("sample_size: {power: 1.5}\n", "sample_size.power: 1.5 is outside [0.5, 0.999]"),
        ("sensitivity: {imputations: 10}\n",
         "sensitivity.imputations: 10 is outside [50, 1000]"),
        ("sensitivity: {seed: 1.5}\n", "sensitivity.seed: 1.5 has the wrong type; allowed: int"),
        ("sensitivity: {deltas: 0}\n", "sensitivity.deltas: 0 is outside [1, 100]"),
        ("sensitivity: {delta: 5}\n",
         "sensitivity: unknown key 'delta'; allowed keys: imputations, seed, deltas"),
        ("alpha: 0.5\n", None),  # the edge of [0.0001, 0.5] is allowed
        ("alpha: 0.5001\n", "alpha: 0.5001 is outside [0.0001, 0.5]"),
        ("country: NOR\n", None),
        ("country: Norway\n", "country: 'Norway' is not allowed; allowed: an ISO alpha-3 code "
                              "in capitals, e.g. NOR"),
        ("country: nor\n", "country: 'nor' is not allowed; allowed: an ISO alpha-3 code in "
                           "capitals, e.g. NOR"),
        ("country: 7\n", "country: 7 has the wrong type; allowed: str or null"),
        ("data: /no/such/folder\n", "data: study data folder '/no/such/folder' does not exist"),
        ("- a\n- b\n", "expected a mapping of keys at the top level"),
        # disclosure.min_cell: an integer from 2 (the edge allowed, 1 just past it) or null
        ("disclosure: {min_cell: 2}\n", None),
        ("disclosure: {min_cell: 1}\n", "disclosure.min_cell: 1 is outside [2, 100]"),
        ("disclosure: {min_cell: 100}\n", None),
        ("disclosure: {min_cell: 101}\n", "disclosure.min_cell: 101 is outside [2, 100]"),
        ("disclosure: {min_cell: null}\n", None),
        ("disclosure: {min_cell: 5.0}\n",
         "disclosure.min_cell: 5.0 has the wrong type; allowed: int or null"),
        ("disclosure: {min_cell: true}\n",
         "disclosure.min_cell: True has the wrong type; allowed: int or null"),
        ("disclosure: {ard_inside: 1}\n",
         "disclosure.ard_inside: 1 has the wrong type; allowed: bool"),
        ("disclosure: {min_sell: 5}\n",
         "disclosure: unknown key 'min_sell'; allowed keys: min_cell, ard_inside"),
    ],
)
def test_bad_params_name_file_key_value_and_what_is_allowed_once(
    tmp_path: Path, text: str, message: str | None
):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    if message is None:
        load_params(path)
        return
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(info.value) == f"{path}: {message}"


def test_invalid_yaml_names_the_file(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("a: [\n")
    with pytest.raises(ParamsError, match="not valid YAML") as info:
        load_params(path)
    assert str(info.value).startswith(f"{path}: ")


def test_a_country_absent_from_the_data_names_the_ones_present(tmp_path: Path):
    path = tmp_path / "swe.yaml"
    path.write_text("country: SWE\n")
    params = load_params(path)
    with pytest.raises(ParamsError) as info:
        check_country(params, ["NOR", "DNK", "NOR", "ITA"])
    assert str(info.value) == (
        f"{path}: country: 'SWE' is not in the data; allowed: DNK, ITA, NOR (the countries "
        "present), or null"
    )
    check_country(load_params(ROOT / "params" / "country-nor.yaml"), ["DNK", "NOR"])
    check_country(load_params(ROOT / "params" / "default.yaml"), ["DNK"])  # null: all


def test_missing_params_file_is_reported(tmp_path: Path):
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "none.yaml")


def test_data_override_must_exist(tmp_path: Path):
    params = load_params(ROOT / "params" / "default.yaml")
    assert with_data_folder(params, tmp_path)["data"] == str(tmp_path)
    with pytest.raises(ParamsError, match="--data"):
        with_data_folder(params, tmp_path / "missing")


def test_disclosure_is_off_unless_a_params_file_sets_it(tmp_path: Path):
    path = tmp_path / "mini.yaml"
    path.write_text("population: FAS\n")
    assert load_params(path)["disclosure"] == {"min_cell": None, "ard_inside": False}
    shipped = load_params(ROOT / "params" / "country-nor-disclosed.yaml")
    assert shipped["disclosure"] == {"min_cell": 5, "ard_inside": False}
    assert shipped["country"] == "NOR"
    assert "disclosure" not in (ROOT / "params" / "default.yaml").read_text()


def test_params_readme_documents_every_key():
    readme = (ROOT / "params" / "README.md").read_text()
    assert schema_markdown() in readme, "params/README.md is stale: `python -m helpers params`"


def test_shipped_files_differ_from_default_only_in_their_purpose():
    default = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    for path in SHIPPED:
        other = yaml.safe_load(path.read_text())
        changed = {k for k in default if other.get(k) != default[k]}
        assert len(changed) <= 1, f"{path.name} changes {sorted(changed)}"
