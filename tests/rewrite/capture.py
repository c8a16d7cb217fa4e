"""References of the reading, validation and derivation code, captured before its rewrite
(issue 15) so that the rewrite can show it gives the same answers, byte for byte.

What is captured, per synthetic cohort (seed 2024; n = 87, 1,000 and 10,000):
  - the ADaM CSVs and exclusions.csv (helpers.adam.derive.write_adam),
  - the validation report as printed (`report.format(max_rows=10**9)`),
  - the warnings table (CSV);
and for the minimal study of tests/test_validate.py, every failing fixture (each BREAK and each
file-level damage): the validation report as printed. Cohorts are stored as SHA-256 digests
(references.json; the files are large), the failing fixtures' reports as text (messages.txt),
so that a difference can be read.

  .venv/bin/python tests/rewrite/capture.py write   # once, with the code before the rewrite
  .venv/bin/python tests/rewrite/capture.py check   # exit 1 and a list of what differs

tests/test_rewrite_references.py runs `check` (marker slow).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path.insert(0, str(TESTS))

COHORTS = {"n87": 87, "n1000": 1_000, "n10000": 10_000}
SEED = 2024


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cohort_outputs(n: int, work: Path) -> dict[str, str]:
    """SHA-256 of each output of validate + derive on the synthetic cohort of n patients."""
    from helpers.adam.derive import derive_adam, write_adam
    from helpers.data.load import load_study
    from helpers.synth import write_synthetic_cohort

    data, adam_dir = work / f"data{n}", work / f"adam{n}"
    write_synthetic_cohort(data, seed=SEED, n=n)
    study, report = load_study(data)
    write_adam(derive_adam(study), adam_dir)
    digests = {f.name: _digest(f.read_bytes()) for f in sorted(adam_dir.iterdir())}
    digests["validation_report.txt"] = _digest(report.format(max_rows=10**9).encode())
    warnings = report.warnings.to_csv(index=False, lineterminator="\n")
    digests["warnings.csv"] = _digest(warnings.encode())
    return digests


def failing_fixture_messages(work: Path) -> str:
    """The printed validation report of each failing fixture of tests/test_validate.py."""
    from minimal_study import edit_csv, find_line, write_minimal_study
    from test_validate import BREAKS

    from helpers.data.validate import validate_folder

    parts = []
    for i, b in enumerate(BREAKS):
        study = write_minimal_study(work / f"break{i}")
        edit_csv(study, b.file, find_line(study, b.file, **b.where), b.column, b.value)
        report = validate_folder(study).format(max_rows=10**9)
        parts.append(f"### {b.file}.{b.column} = {b.value!r}\n{report}\n")
    damages = {
        "ae.csv deleted": lambda s: (s / "ae.csv").unlink(),
        "dm.csv latin-1": lambda s: (s / "dm.csv").write_bytes(
            (s / "dm.csv").read_bytes().replace(b"P04,S02", "P04,Sø".encode("latin-1"))
        ),
        "qs.csv zero bytes": lambda s: (s / "qs.csv").write_bytes(b""),
        "dm.csv header only": lambda s: (s / "dm.csv").write_text(
            (s / "dm.csv").read_text().splitlines()[0] + "\n"
        ),
    }
    for name, damage in damages.items():
        study = write_minimal_study(work / name.replace(" ", "_"))
        damage(study)
        parts.append(f"### {name}\n{validate_folder(study).format(max_rows=10**9)}\n")
    return "\n".join(parts)


def capture() -> tuple[dict[str, dict[str, str]], str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cohorts = {name: cohort_outputs(n, work) for name, n in COHORTS.items()}
        return cohorts, failing_fixture_messages(work)


def differences() -> list[str]:
    """What differs between the stored references and the current code's outputs."""
    cohorts, messages = capture()
    stored = json.loads((HERE / "references.json").read_text())
    found = [
        f"{name}/{file}: differs"
        for name, files in stored.items()
        for file, digest in files.items()
        if cohorts.get(name, {}).get(file) != digest
    ]
    if messages != (HERE / "messages.txt").read_text():
        found.append("messages.txt: the failing fixtures' reports differ")
    return found


def main(argv: list[str]) -> int:
    if argv == ["write"]:
        cohorts, messages = capture()
        (HERE / "references.json").write_text(json.dumps(cohorts, indent=1, sort_keys=True) + "\n")
        (HERE / "messages.txt").write_text(messages)
        return 0
    if argv == ["check"]:
        found = differences()
        print("\n".join(found) or "all references reproduced")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
