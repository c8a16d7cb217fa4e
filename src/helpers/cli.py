"""Command line: `.venv/bin/python -m helpers <command> --help` (`make setup` creates .venv).

Commands: synth, validate, derive, run, render, diff, params. Heavy libraries are imported
inside each command, so that `--help` and a no-op `run` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _synth(args: argparse.Namespace) -> int:
    from helpers.synth import write_synthetic_cohort

    write_synthetic_cohort(args.out, seed=args.seed, n=args.n)
    if args.format != "csv":
        from helpers.data.convert import convert_folder

        convert_folder(args.out, args.format)
    print(f"synthetic cohort (seed {args.seed}, n {args.n}) written to {args.out} "
          f"({args.format})")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from helpers.data.validate import validate_folder

    report = validate_folder(args.folder, args.encoding)
    print(report.format(max_rows=args.max_rows))
    return 0 if report.ok else 1


def _derive(args: argparse.Namespace) -> int:
    from helpers.adam.derive import derive_adam, write_adam
    from helpers.data.load import StudyDataError, load_study

    try:
        study, report = load_study(args.folder, args.encoding)
    except StudyDataError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(report.format())
    adam = derive_adam(study, exclude_out_of_window=args.exclude_out_of_window)
    write_adam(adam, args.out)
    print(f"analysis datasets written to {args.out}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from helpers.pipeline.params import ParamsError, load_params, with_data_folder
    from helpers.pipeline.runner import RunError, run

    try:
        params = load_params(args.params)
        if args.data is not None:
            params = with_data_folder(params, args.data)
        run(params, args.output, force=args.force, jobs=args.jobs)
    except (ParamsError, RunError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _render(args: argparse.Namespace) -> int:
    from helpers.pipeline.render import render
    from helpers.report.article import ManuscriptError

    try:
        render(args.run_dir)
    except ManuscriptError as exc:
        print(f"error: step render failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _diff(args: argparse.Namespace) -> int:
    from helpers.results.run_diff import NotARunError, diff_runs, format_diff

    try:
        diff = diff_runs(args.run_a, args.run_b)
    except NotARunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_diff(diff, str(args.run_a), str(args.run_b)))
    return 0 if diff.same else 1


def _params(args: argparse.Namespace) -> int:
    from helpers.pipeline.params import ParamsError, load_params, schema_markdown

    if args.file is None:
        print(schema_markdown(), end="")
        return 0
    try:
        params = load_params(args.file)
    except ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file}: valid; run {params.name!r}")
    return 0


def _encoding_argument(parser: argparse.ArgumentParser) -> None:
    from helpers.data import DEFAULT_ENCODING, ENCODINGS

    parser.add_argument(
        "--encoding", choices=ENCODINGS, default=DEFAULT_ENCODING,
        help="text encoding of SAS transport files (windows-1252 = SAS WLATIN1; default utf-8; "
        "params key data_encoding)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers", description="REALITY study analysis: data to manuscript."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    p = commands.add_parser("synth", help="write the deterministic synthetic cohort")
    p.add_argument("--out", type=Path, required=True, help="folder to write the files to")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--n", type=int, default=87, help="patients enrolled (default 87)")
    p.add_argument(
        "--format", choices=("csv", "xpt", "json", "ndjson"), default="csv",
        help="file format: CSV, SAS transport v8, Dataset-JSON 1.1 or its NDJSON form "
        "(default csv)",
    )
    p.set_defaults(func=_synth)

    p = commands.add_parser("validate", help="check a study data folder against the data spec")
    p.add_argument("folder", type=Path, help="study data folder (study/data-spec.md)")
    p.add_argument("--max-rows", type=int, default=50, help="violations printed (default 50)")
    _encoding_argument(p)
    p.set_defaults(func=_validate)

    p = commands.add_parser("derive", help="validate, then write the analysis datasets (ADaM)")
    p.add_argument("folder", type=Path, help="study data folder")
    p.add_argument("--out", type=Path, required=True, help="folder for adsl.csv, adqs.csv, ...")
    p.add_argument(
        "--exclude-out-of-window",
        action="store_true",
        help="leave post-baseline assessments outside their visit window out",
    )
    _encoding_argument(p)
    p.set_defaults(func=_derive)

    p = commands.add_parser("run", help="the whole job for a params file (see params/README.md)")
    p.add_argument("params", type=Path, help="params file, e.g. params/default.yaml")
    p.add_argument("--data", type=Path, default=None, help="study data folder (overrides `data`)")
    p.add_argument(
        "--output",
        type=Path,
        default=Path("output"),
        help="parent of the run folder (default output/)",
    )
    p.add_argument("--force", action="store_true", help="rebuild every step")
    p.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: all)")
    p.set_defaults(func=_run)

    p = commands.add_parser("render", help="render the manuscript of an existing run folder")
    p.add_argument("run_dir", type=Path, help="e.g. output/default")
    p.set_defaults(func=_render)

    p = commands.add_parser(
        "diff", help="every statistic and input that differs between two runs (exit 1 if any)"
    )
    p.add_argument("run_a", type=Path, help="a run folder, e.g. output/default")
    p.add_argument("run_b", type=Path, help="another run folder, e.g. output/completers")
    p.set_defaults(func=_diff)

    p = commands.add_parser("params", help="print the params schema, or check a params file")
    p.add_argument("file", type=Path, nargs="?", default=None, help="params file to check")
    p.set_defaults(func=_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
