"""Benchmark of the run command: prints measured figures, asserts nothing (`make benchmark`).

1. cold full run (`helpers.pipeline.runner.run`, --force) vs a naive baseline that papermills the
   notebooks one after another, each first loading, validating and deriving the data itself:
   the medians of --repeat runs of each (default 3), interleaved; and beside them the cold run
   without the sensitivity notebook (05), to show what the sensitivity analyses add;
2. a no-op rerun, and a rerun after changing one parameter that one notebook receives
   (sample_size.effect_size, read by 01-disposition only);
3. validate + derive time and peak memory for 1k, 10k and 100k synthetic patients, with the
   log-log slope of time against n, and beside them the read floor: the time the reader takes
   only to read the files (a fresh process of its own; validate includes a read). The
   cohort's files are read once first, so that they are in
   the page cache (as right after they are written). Time comes from one fresh process; peak
   memory from a second run of it, as the highest sum of the proportional set size (PSS: a page
   shared by k processes counts 1/k in each) of the process and its forked workers, sampled
   every 50 ms from outside (Linux /proc), or the main process's max RSS in that run if higher
   (a peak between samples); elsewhere the main process's max RSS. The timed run's
   main-process max RSS is shown beside it.
4. with --formats: `helpers validate` time and peak memory (as in 3, the validate probe instead)
   of the same cohorts as CSV, SAS transport, Dataset-JSON and NDJSON, side by side, with each
   format's ratio to CSV.
Targets (issue "Fast reruns"): cold <= 0.5 x naive; (issue "Do the findings hold?") the
sensitivity analyses add <= 30 % to the cold run; no-op < 2 s; slope <= 1.1; 100k derived in
< 60 s with < 4 GiB peak memory; (issue "Real deliveries read right") every format within 1.5 x
CSV's validate time and memory. Usage: python benchmarks/run.py [--sizes 1000 10000 100000]
[--cohorts DIR] [--formats] (DIR keeps the generated cohorts for the next run: 100k takes
minutes to make); e.g. --skip-pipeline --skip-scaling --formats --sizes 2000 10000.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARAMS = ROOT / "params" / "default.yaml"
#: the notebook of the missing-data sensitivity analyses (its share of the cold run is printed)
SENSITIVITY_NOTEBOOK = "05-sensitivity"

# Runs in a fresh interpreter so that its memory is the derivation's own.
SCALE_PROBE = """
import json, resource, sys, time
from pathlib import Path
from helpers.adam.derive import derive_adam
from helpers.data.load import load_study
start = time.perf_counter()
study, report = load_study(Path(sys.argv[1]))
validated = time.perf_counter()
derive_adam(study)
done = time.perf_counter()
print(json.dumps({"validate_s": validated - start, "derive_s": done - validated,
                  "main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
# `helpers validate` (read and check every rule), in a fresh interpreter of its own.
VALIDATE_PROBE = """
import json, resource, sys, time
from pathlib import Path
from helpers.data.validate import validate_folder
start = time.perf_counter()
validate_folder(Path(sys.argv[1]))
print(json.dumps({"validate_s": time.perf_counter() - start,
                  "main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
#: the file formats compared by --formats, CSV first (the reference)
FORMATS = ("csv", "xpt", "json", "ndjson")
# The read floor: the time the reader takes only to read the files (every cell as text,
# helpers.data.load.read_raw), in a fresh interpreter of its own.
READ_PROBE = """
import json, sys, time
from pathlib import Path
from helpers.data.load import read_raw
start = time.perf_counter()
read_raw(Path(sys.argv[1]))
print(json.dumps({"read_s": time.perf_counter() - start}))
"""
#: seconds between two samples of the memory of the probe's processes
SAMPLE_S = 0.05


def timed_command(*args: str) -> float:
    """Wall time of a fresh `python ARGS` process, as a user would run it."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    return time.perf_counter() - start


def naive_baseline(params_path: Path, work: Path) -> None:
    """Each notebook loads, validates and derives the data itself, then runs; one at a time."""
    import papermill

    from helpers.adam.derive import derive_adam, write_adam
    from helpers.data.load import load_study
    from helpers.pipeline.kernels import KERNEL
    from helpers.pipeline.notebooks import (
        NOTEBOOKS,
        OUTPUT_PARAMETERS,
        notebook_parameters,
        notebook_source,
    )
    from helpers.pipeline.params import load_params
    from helpers.synth import write_synthetic_cohort

    params = load_params(params_path)
    for notebook in NOTEBOOKS:
        folder = work / notebook
        write_synthetic_cohort(folder / "data", **params["synthetic"])
        study, _ = load_study(folder / "data")
        write_adam(derive_adam(study), folder / "adam")
        parameters = notebook_parameters(notebook, params)
        for name in OUTPUT_PARAMETERS:  # the folders this notebook writes to
            if name in parameters:
                (folder / parameters[name]).mkdir(parents=True, exist_ok=True)
        papermill.execute_notebook(
            str(notebook_source(notebook)), str(folder / f"{notebook}.ipynb"),
            parameters=parameters, kernel_name=KERNEL, cwd=str(folder), progress_bar=False,
        )


def cold_run_without(notebook: str, params_path: Path, output: Path) -> None:
    """A cold run (--force) of the params file with one notebook left out of the run's steps."""
    from helpers import cli
    from helpers.pipeline import keys, notebooks, runner, steps

    kept = tuple(nb for nb in notebooks.NOTEBOOKS if nb != notebook)
    for module in (notebooks, steps, runner, keys):
        module.NOTEBOOKS = kept
    cli.main(["run", str(params_path), "--output", str(output), "--force"])


def pipeline_figures(work: Path, repeat: int) -> None:
    params_path = work / "bench.yaml"
    values = yaml.safe_load(DEFAULT_PARAMS.read_text())
    values["render"] = False  # the report step is the same in both; measure the analyses
    params_path.write_text(yaml.safe_dump(values))
    run = ("-m", "helpers", "run", str(params_path), "--output", str(work / "output"))

    naive_times, cold_times, without_times = [], [], []
    for i in range(repeat):  # interleaved, so that a slower spell of the machine hits all
        naive = ("--naive", str(params_path), str(work / f"naive{i}"))
        naive_times.append(timed_command(__file__, *naive))
        cold_times.append(timed_command(*run, "--force"))
        without = ("--without", SENSITIVITY_NOTEBOOK, str(params_path), str(work / "without"))
        without_times.append(timed_command(__file__, *without))
    naive, cold = float(np.median(naive_times)), float(np.median(cold_times))
    without = float(np.median(without_times))
    noop = timed_command(*run)
    values["sample_size"]["effect_size"] = 0.35
    params_path.write_text(yaml.safe_dump(values))
    one_param = timed_command(*run)

    print("\n== run command, each a fresh process (default params, n=87, render off)")
    print(f"naive baseline (sequential, derive per notebook): {naive:7.2f} s  (median of "
          f"{', '.join(f'{t:.1f}' for t in naive_times)})")
    print(f"cold full run (derive once, notebooks parallel):  {cold:7.2f} s  (median of "
          f"{', '.join(f'{t:.1f}' for t in cold_times)})")
    print(f"ratio cold / naive: {cold / naive:.2f} (target <= 0.5)")
    print(f"cold run without {SENSITIVITY_NOTEBOOK}:   {without:7.2f} s  (median of "
          f"{', '.join(f'{t:.1f}' for t in without_times)}); the sensitivity analyses add "
          f"{100 * (cold / without - 1):.0f} % (target <= 30 %)")
    print(f"no-op rerun:                                      {noop:7.2f} s  (target < 2 s)")
    print(f"rerun after sample_size.effect_size changed:      {one_param:7.2f} s")
    if shutil.which("quarto"):  # the report step alone: stage and render the last run
        render = timed_command("-m", "helpers", "render", str(work / "output" / "bench"))
        print(f"render step (python -m helpers render, Quarto):   {render:7.2f} s")
    else:
        print("render step: quarto not on PATH, not measured")


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the thread or process has just ended
            continue
    return [pid, *(p for child in children for p in _process_tree(child))]


def _pss_mib(pid: int) -> float:
    """Proportional set size of a process (0 once it has ended)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    pss_kib = next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:"))
    return int(pss_kib) / 1024


def read_floor(folder: Path) -> float:
    """Seconds a fresh process takes only to read the study files (READ_PROBE)."""
    done = subprocess.run([sys.executable, "-c", READ_PROBE, str(folder)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["read_s"]


def probe_figures(folder: Path, probe: str = SCALE_PROBE) -> dict[str, float]:
    """The figures of a fresh `probe` (SCALE_PROBE: validate_s, derive_s and main_mib);
    peak_mib of a second, sampled one."""
    command = [sys.executable, "-c", probe, str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path("/proc/self/smaps_rollup").exists():
        return figures | {"peak_mib": figures["main_mib"]}
    probe, peak = subprocess.Popen(command, stdout=subprocess.PIPE, text=True), 0.0
    while probe.poll() is None:
        peak = max(peak, sum(map(_pss_mib, _process_tree(probe.pid))))
        time.sleep(SAMPLE_S)
    if probe.returncode:
        raise subprocess.CalledProcessError(probe.returncode, command)
    # a peak of the main process between two samples is still seen in its own max RSS
    main_mib = json.loads(probe.stdout.read().strip().splitlines()[-1])["main_mib"]
    return figures | {"peak_mib": max(peak, main_mib)}


def _read_through(folder: Path) -> None:
    """Read every study data file of folder once, so that the timed probe finds them in the page
    cache, as right after they were written (a kept cohort, or one the machine paged out
    meanwhile, would otherwise add a disk read: seconds for the 4.5 GB of 100k patients)."""
    for path in sorted(p for fmt in FORMATS for p in folder.glob(f"*.{fmt}")):
        with path.open("rb") as f:
            while f.read(1 << 24):
                pass


def cohort(cohorts: Path, n: int, fmt: str = "csv") -> Path:
    """The synthetic cohort of n patients (seed 1) in format fmt, made if it is not kept in
    cohorts (in a process of its own, its memory returned), and read through."""
    folder = cohorts / (f"n{n}" if fmt == "csv" else f"n{n}-{fmt}")
    if not (folder / f"qs.{fmt}").is_file():
        subprocess.run([sys.executable, "-m", "helpers", "synth", "--out", str(folder),
                        "--seed", "1", "--n", str(n), "--format", fmt],
                       check=True, capture_output=True)
    _read_through(folder)
    return folder


def format_figures(sizes: list[int], cohorts: Path) -> None:
    print("\n== helpers validate by file format (fresh process each): seconds / peak MiB "
          "(x CSV)")
    print(f"{'patients':>9} " + " ".join(f"{fmt:>24}" for fmt in FORMATS))
    for n in sizes:
        figures = {fmt: probe_figures(cohort(cohorts, n, fmt), VALIDATE_PROBE)
                   for fmt in FORMATS}
        csv = figures["csv"]
        cells = [f"{f['validate_s']:6.2f} / {f['peak_mib']:5.0f} "
                 f"({f['validate_s'] / csv['validate_s']:.1f} / "
                 f"{f['peak_mib'] / csv['peak_mib']:.1f})" for f in figures.values()]
        print(f"{n:>9} " + " ".join(f"{c:>24}" for c in cells))
    print("target: every format within 1.5 x CSV's time and memory")


def scaling_figures(sizes: list[int], cohorts: Path) -> None:
    print("\n== validate + derive by cohort size (fresh process each)")
    print(f"{'patients':>9} {'read s':>7} {'validate s':>11} {'derive s':>9} {'total s':>8} "
          f"{'peak MiB':>9} {'main MiB':>9}")
    totals = []
    for n in sizes:
        folder = cohort(cohorts, n)
        figures = probe_figures(folder)
        total = figures["validate_s"] + figures["derive_s"]
        totals.append(total)
        print(f"{n:>9} {read_floor(folder):>7.2f} {figures['validate_s']:>11.2f} "
              f"{figures['derive_s']:>9.2f} {total:>8.2f} {figures['peak_mib']:>9.0f} "
              f"{figures['main_mib']:>9.0f}")
    if len(sizes) > 1:
        slope = np.polyfit(np.log(sizes), np.log(totals), 1)[0]
        print(f"log-log slope of time against n: {slope:.2f} (target <= 1.1); "
              f"100k target: < 60 s and < 4096 MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--skip-pipeline", action="store_true", help="only the scaling figures")
    parser.add_argument("--skip-scaling", action="store_true",
                        help="only the run command's figures (cold / naive ratio, reruns)")
    parser.add_argument("--formats", action="store_true",
                        help="also validate each size as CSV, XPT, JSON and NDJSON, side by side")
    parser.add_argument("--repeat", type=int, default=3,
                        help="cold and naive runs, interleaved; their medians are compared")
    parser.add_argument("--cohorts", type=Path,
                        help="folder that keeps the generated cohorts (default: a temporary one)")
    parser.add_argument("--naive", nargs=2, type=Path, metavar=("PARAMS", "WORK"),
                        help="run only the naive baseline (used by the benchmark itself)")
    parser.add_argument("--without", nargs=3, metavar=("NOTEBOOK", "PARAMS", "OUTPUT"),
                        help="run only a cold run without NOTEBOOK (used by the benchmark itself)")
    args = parser.parse_args()
    if args.naive:
        naive_baseline(*args.naive)
        return
    if args.without:
        cold_run_without(args.without[0], Path(args.without[1]), Path(args.without[2]))
        return
    with tempfile.TemporaryDirectory(prefix="reality-bench-") as tmp:
        if not args.skip_pipeline:
            pipeline_figures(Path(tmp), args.repeat)
        if not args.skip_scaling:
            scaling_figures(args.sizes, args.cohorts or Path(tmp))
        if args.formats:
            format_figures(args.sizes, args.cohorts or Path(tmp))


if __name__ == "__main__":
    main()
