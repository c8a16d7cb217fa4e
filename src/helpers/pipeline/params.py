"""Run parameters: the schema of params/<run>.yaml, validated before anything runs.

papermill only warns on an unknown parameter, so a typo would silently run the default. Here an
unknown key, a wrong type, a value outside its allowed set or a missing data folder fails at once,
naming the key and what is allowed. Every key is documented in PARAMS_SCHEMA (params/README.md
is generated from it: `.venv/bin/python -m helpers params`). Every message reads
`<file>: <key>: <value> <what is wrong>; <what is allowed>`, once.

A country must also be present in the data; that is known only once the data are read, so the
runner checks it (`check_country`) before any notebook runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.data import DEFAULT_ENCODING, ENCODINGS


class ParamsError(ValueError):
    """A params file breaks the schema; the message names the file, the key and the rule."""


@dataclass(frozen=True)
class Key:
    """One params key: its type, default, meaning and what is allowed (a set of values, a range
    [low, high] or a regular expression that the whole text must match)."""

    type: type | tuple[type, ...]
    default: Any
    doc: str
    allowed: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    pattern: str | None = None
    #: how the pattern is shown in messages and in params/README.md
    pattern_doc: str = ""


SAMPLE_SIZE_SCHEMA: dict[str, Key] = {
    "effect_size": Key(
        float, 0.4, "standardised mean change (Cohen's d) to detect", low=0.01, high=5.0
    ),
    "alpha": Key(float, 0.05, "two-sided significance level", low=0.0001, high=0.5),
    "power": Key(float, 0.9, "power of the test", low=0.5, high=0.999),
    "dropout": Key(float, 0.15, "fraction expected to drop out (inflates n)", low=0.0, high=0.9),
}

SYNTHETIC_SCHEMA: dict[str, Key] = {
    "seed": Key(int, 2024, "seed of the synthetic cohort generator", low=0, high=2**32 - 1),
    "n": Key(int, 87, "number of synthetic patients enrolled", low=5, high=1_000_000),
}

DISCLOSURE_SCHEMA: dict[str, Key] = {
    "min_cell": Key(
        (int, type(None)),
        None,
        "smallest count of persons or events shown; counts from 1 to min_cell - 1, statistics "
        "of fewer persons and counts that would reveal them are shown as <min_cell "
        "(helpers.analysis.disclosure); null: no disclosure control",
        low=2,
        high=100,
    ),
    "ard_inside": Key(
        bool,
        False,
        "the ARD file stays inside the secure environment and keeps the suppressed values; "
        "false: they are blank in it, as everywhere else",
    ),
}

SENSITIVITY_SCHEMA: dict[str, Key] = {
    "imputations": Key(
        int, 50, "imputed data sets of the multiple imputation (helpers.analysis.sensitivity)",
        low=50, high=1000,
    ),
    "seed": Key(int, 2029, "seed of the multiple imputation", low=0, high=2**32 - 1),
    "deltas": Key(
        int, 20, "largest shift (points) of the FSMC tipping-point grid delta = 0, 1, ..., deltas",
        low=1, high=100,
    ),
}

PARAMS_SCHEMA: dict[str, Key] = {
    "data": Key(
        str,
        "synthetic",
        "`synthetic` (generate the cohort below) or the path of a study data folder "
        "(study/data-spec.md), absolute or relative to the current directory",
    ),
    "synthetic": Key(
        dict, SYNTHETIC_SCHEMA, "synthetic cohort settings (used when data = synthetic)"
    ),
    "data_encoding": Key(
        str,
        DEFAULT_ENCODING,
        "text encoding of the study data folder's SAS transport (.xpt) files: windows-1252 is "
        "what SAS calls WLATIN1, latin-1 is LATIN1, iso-8859-15 LATIN9 (CSV and Dataset-JSON "
        "are always UTF-8)",
        allowed=ENCODINGS,
    ),
    "population": Key(
        str,
        "FAS",
        "efficacy population: FAS (full analysis set) or COMP (completers)",
        allowed=("FAS", "COMP"),
    ),
    "country": Key(
        (str, type(None)),
        None,
        "restrict every analysis to one country, or null (all countries); the ISO alpha-3 "
        "code as in dm COUNTRY, and it must be present in the data",
        pattern=r"[A-Z]{3}",
        pattern_doc="an ISO alpha-3 code in capitals, e.g. NOR",
    ),
    "exclude_out_of_window": Key(
        bool, False, "drop post-baseline assessments outside their visit window (+/- 31 days)"
    ),
    "alpha": Key(
        float,
        0.05,
        "significance level of the tests and confidence intervals",
        low=0.0001,
        high=0.5,
    ),
    "sample_size": Key(dict, SAMPLE_SIZE_SCHEMA, "assumptions of the sample-size recomputation"),
    "sensitivity": Key(
        dict, SENSITIVITY_SCHEMA, "settings of the missing-data sensitivity analyses (appendix)"
    ),
    "render": Key(bool, True, "render the manuscript (Quarto, or the HTML preview) at the end"),
    "disclosure": Key(dict, DISCLOSURE_SCHEMA, "small-cell disclosure control of every output"),
}


@dataclass(frozen=True)
class RunParams:
    """A validated params file. `values` holds every key with defaults filled in."""

    name: str
    path: Path
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def uses_synthetic_data(self) -> bool:
        return self.values["data"] == "synthetic"


def _type_name(t: type | tuple[type, ...]) -> str:
    types = t if isinstance(t, tuple) else (t,)
    return " or ".join("null" if x is type(None) else x.__name__ for x in types)


def _check_value(where: str, key: Key, value: Any) -> Any:
    """Return the value (ints accepted for floats) or raise ParamsError naming the rule."""
    if key.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    accepted = key.type if isinstance(key.type, tuple) else (key.type,)
    # bool is an int subclass: a YAML `true` must not pass as a number, nor 1 as a flag
    if (isinstance(value, bool) and bool not in accepted) or not isinstance(value, accepted):
        raise ParamsError(f"{where}: {value!r} has the wrong type; allowed: {_type_name(key.type)}")
    if value is None:
        return value
    if key.allowed is not None and value not in key.allowed:
        raise ParamsError(f"{where}: {value!r} is not allowed; allowed: {', '.join(key.allowed)}")
    if (key.low is not None and value < key.low) or (key.high is not None and value > key.high):
        raise ParamsError(f"{where}: {value!r} is outside [{key.low}, {key.high}]")
    if key.pattern is not None and not re.fullmatch(key.pattern, value):
        raise ParamsError(f"{where}: {value!r} is not allowed; allowed: {key.pattern_doc}")
    return value


def _validate_mapping(
    file: str, prefix: str, schema: dict[str, Key], given: dict[str, Any]
) -> dict[str, Any]:
    """Every key of schema (given values checked, defaults for the rest). Messages start with
    `file: ` and name nested keys with their dotted path (`sample_size.power`)."""
    unknown = sorted(set(given) - set(schema))
    if unknown:
        where = f"{file}: {prefix[:-1]}" if prefix else file
        raise ParamsError(
            f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(schema)}"
        )
    out: dict[str, Any] = {}
    for name, key in schema.items():
        where = f"{file}: {prefix}{name}"
        if key.type is dict:
            sub = given.get(name, {})
            if not isinstance(sub, dict):
                raise ParamsError(
                    f"{where}: {sub!r} has the wrong type; allowed: a mapping of "
                    f"{', '.join(key.default)}"
                )
            out[name] = _validate_mapping(file, f"{prefix}{name}.", key.default, sub)
        elif name in given:
            out[name] = _check_value(where, key, given[name])
        else:
            out[name] = key.default
    return out


def with_defaults(given: dict[str, Any], where: str = "params") -> dict[str, Any]:
    """Every key of PARAMS_SCHEMA: the given values (validated) with defaults for the rest."""
    return _validate_mapping(where, "", PARAMS_SCHEMA, given)


def check_country(params: RunParams, present: Iterable[str]) -> None:
    """Raise ParamsError when params' country is set and is not one of the data's countries."""
    country, present = params["country"], sorted(set(present))
    if country is not None and country not in present:
        raise ParamsError(
            f"{params.path}: country: {country!r} is not in the data; "
            f"allowed: {', '.join(present)} (the countries present), or null"
        )


def load_params(path: Path) -> RunParams:
    """Read and validate a params file; the run is named after the file (params/default.yaml ->
    default). A data folder given as a path must exist and be a folder."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: params file not found")
    try:
        given = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(given, dict):
        raise ParamsError(f"{path}: expected a mapping of keys at the top level")
    values = with_defaults(given, str(path))
    if values["data"] != "synthetic" and not Path(values["data"]).is_dir():
        raise ParamsError(f"{path}: data: study data folder {values['data']!r} does not exist")
    return RunParams(name=path.stem, path=path, values=values)


def with_data_folder(params: RunParams, folder: Path) -> RunParams:
    """The same params reading the study data folder `folder` (the CLI's --data)."""
    if not Path(folder).is_dir():
        raise ParamsError(f"--data: study data folder {str(folder)!r} does not exist")
    return RunParams(params.name, params.path, {**params.values, "data": str(folder)})


def schema_markdown() -> str:
    """params/README.md: every key, its type, default and meaning."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]

    def rows(prefix: str, schema: dict[str, Key]) -> None:
        for name, key in schema.items():
            if key.type is dict:
                lines.append(f"| `{prefix}{name}` | mapping | | {key.doc} |")
                rows(f"{prefix}{name}.", key.default)
            else:
                allowed = (f" (one of {', '.join(key.allowed)})" if key.allowed
                           else f" ({key.pattern_doc})" if key.pattern else
                           f" (from {key.low} to {key.high})" if key.low is not None else "")
                default = (
                    "null" if key.default is None else yaml.safe_dump(key.default).split("\n")[0]
                )
                kind = _type_name(key.type)
                lines.append(f"| `{prefix}{name}` | {kind} | `{default}` | {key.doc}{allowed} |")

    rows("", PARAMS_SCHEMA)
    return "\n".join(lines) + "\n"
