"""`make mutation`: apply each curated rule mutation (tests/mutation/mutations.py) in turn, run
the fast rule tests, and report the mutations they did not catch (survivors).

A mutation is *killed* when pytest reports failing tests (exit status 1) and *survives* when
every test passes. Any other outcome (the snippet missing or ambiguous, tests that cannot be
collected) is an error: the list is stale or the mutation breaks more than its rule.

The working tree is never modified: the mutations are applied to a copy of src/helpers in a
temporary folder (beside links to the rest of the checkout), imported first through PYTHONPATH,
and each mutated file is restored in that copy before the next (finally). Exit status 0 only
when every mutation was killed.

    python tests/mutation/run.py [NAME ...]   # all mutations, or only those named
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mutations import MUTATIONS, Mutation

ROOT = Path(__file__).resolve().parents[2]
#: the fast tests of the rules, the edge tests first (pytest -x stops at the first failure)
TESTS = ("tests/test_edges.py", "tests/test_readers.py", "tests/test_scoring.py",
         "tests/test_stats_reference.py", "tests/test_stats.py",
         "tests/test_derive.py", "tests/test_adam_derivations.py", "tests/test_reproduction.py",
         "tests/test_validate.py", "tests/test_disclosure.py")
KILLED, SURVIVED = 1, 0


class StaleMutation(Exception):
    """The mutation's source text does not occur exactly once in its file."""


def mutated(mutation: Mutation, text: str) -> str:
    count = text.count(mutation.old)
    if count != 1:
        raise StaleMutation(f"{mutation.name}: {mutation.old!r} occurs {count} times in "
                            f"src/helpers/{mutation.file} (expected once)")
    return text.replace(mutation.old, mutation.new)


def checkout_copy(folder: Path) -> Path:
    """A copy of src/helpers in `folder`/src, links to the rest of the checkout beside it (the
    package finds study/ and notebooks/ from its own path); returns the copy's src/helpers."""
    for entry in ROOT.iterdir():
        if entry.name not in ("src", ".git", ".venv", "output"):
            (folder / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "src" / "helpers", folder / "src" / "helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder / "src" / "helpers"


def run_tests(source: Path) -> int:
    """pytest's exit status on the TESTS with the package imported from `source`."""
    env = {**os.environ, "PYTHONPATH": str(source.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-W", "ignore::FutureWarning", *TESTS]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False).returncode


def imported_from(source: Path) -> Path:
    env = {**os.environ, "PYTHONPATH": str(source.parent)}
    out = subprocess.run([sys.executable, "-c", "import helpers; print(helpers.__file__)"],
                         env=env, capture_output=True, text=True, check=True).stdout
    return Path(out.strip()).parent


def apply_and_test(mutation: Mutation, source: Path) -> int:
    path = source / mutation.file
    original = path.read_text(encoding="utf-8")
    changed = mutated(mutation, original)
    try:
        path.write_text(changed, encoding="utf-8")
        return run_tests(source)
    finally:
        path.write_text(original, encoding="utf-8")


def main(names: list[str]) -> int:
    chosen = [m for m in MUTATIONS if not names or m.name in names]
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        source = checkout_copy(Path(tmp))
        for mutation in chosen:  # every snippet checked before any test runs
            mutated(mutation, (source / mutation.file).read_text(encoding="utf-8"))
        if imported_from(source) != source:
            print(f"the tests would not import the copy in {source}", file=sys.stderr)
            return 2
        if run_tests(source) != 0:
            print("the rule tests fail without any mutation: fix them first", file=sys.stderr)
            return 2
        survivors, errors = [], []
        for i, mutation in enumerate(chosen, start=1):
            started = time.perf_counter()
            status = apply_and_test(mutation, source)
            verdict = {KILLED: "killed", SURVIVED: "SURVIVED"}.get(status, f"ERROR ({status})")
            print(f"{i:2d}/{len(chosen)} {verdict:9s} {mutation.name} ({mutation.file}; "
                  f"{time.perf_counter() - started:.0f} s)", flush=True)
            if status == SURVIVED:
                survivors.append(mutation)
            elif status != KILLED:
                errors.append(mutation)
    print(f"\n{len(chosen) - len(survivors) - len(errors)} of {len(chosen)} mutations killed, "
          f"{len(survivors)} survived, {len(errors)} errors")
    for m in survivors:
        print(f"  survivor {m.name}: {m.file}: {m.old!r} -> {m.new!r}\n    rule: {m.rule}")
    for m in errors:
        print(f"  error {m.name}: the tests could not run with it (pytest exit status not 1)")
    return 0 if not survivors and not errors else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except StaleMutation as exc:
        print(f"stale mutation list: {exc}", file=sys.stderr)
        sys.exit(2)
