"""Command line: `.venv/bin/python -m helpers <command> --help` (`make setup` creates .venv).

Commands: synth, validate, derive, run, render, diff, params. Heavy libraries are imported
inside each command, so that `--help` and a no-op `run` answer at once. Each command's `--help`
says what it reads, what it prints and its exit status. Output piped into a reader that stops
early (`... | head`) ends the command quietly with the status of a process killed by SIGPIPE
(141), as a shell expects.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
from pathlib import Path

from helpers.pipeline.commands import python_command

#: exit status of a command whose stdout reader went away (128 + SIGPIPE, as for `yes | head`)
BROKEN_PIPE = 128 + signal.SIGPIPE


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
        result = render(args.run_dir)
    except ManuscriptError as exc:
        print(f"error: step render failed: {exc}", file=sys.stderr)
        return 1
    print("report: " + ", ".join(str(path) for path in result.shown))
    return 0


def how_to_make(folder: Path) -> str:
    """The command that makes a run folder `<root>/<name>`: `helpers run params/<name>.yaml`
    (with `--output <root>` unless the root is output/) when that params file exists, else
    empty."""
    params = Path("params") / f"{folder.name}.yaml"
    if not params.is_file():
        return ""
    output = "" if folder.parent == Path("output") else f" --output {folder.parent}"
    return python_command(f"-m helpers run {params}{output}")


def _diff(args: argparse.Namespace) -> int:
    from helpers.results.run_diff import NotARunError, diff_runs, format_diff

    try:
        diff = diff_runs(args.run_a, args.run_b)
    except NotARunError as exc:
        command = how_to_make(exc.folder)
        hint = f": make it with {command}" if command else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    print(format_diff(diff, str(args.run_a), str(args.run_b),
                      only_key_results=args.only == "key-results"))
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


def _command(commands: argparse._SubParsersAction, name: str, summary: str, reads: str,
             prints: str, exits: str) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it reads, what it prints and its exit status."""
    parts = (("reads: ", reads), ("prints:", prints), ("exit:  ", exits))
    text = "\n".join(textwrap.fill(f"{head} {body}", 88, subsequent_indent=" " * 8)
                     for head, body in parts)
    return commands.add_parser(
        name, help=summary, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"{summary}.\n\n{text}",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers", description="REALITY study analysis: data to manuscript."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    p = _command(commands, "synth", "write the deterministic synthetic cohort",
                 "nothing (the cohort is generated from --seed and --n)",
                 "one line naming the folder written",
                 "0 written; 2 bad arguments")
    p.add_argument("--out", type=Path, required=True, help="folder to write the files to")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--n", type=int, default=87, help="patients enrolled (default 87)")
    p.add_argument(
        "--format", choices=("csv", "xpt", "json", "ndjson"), default="csv",
        help="file format: CSV, SAS transport v8, Dataset-JSON 1.1 or its NDJSON form "
        "(default csv)",
    )
    p.set_defaults(func=_synth)

    p = _command(commands, "validate", "check a study data folder against the data spec",
                 "the folder's domain files (CSV, XPT or Dataset-JSON; study/data-spec.md)",
                 "every violation with file, column, line, subject and rule; warnings counted",
                 "0 no error (warnings allowed); 1 any error; 2 bad arguments")
    p.add_argument("folder", type=Path, help="study data folder (study/data-spec.md)")
    p.add_argument("--max-rows", type=int, default=50, help="violations printed (default 50)")
    _encoding_argument(p)
    p.set_defaults(func=_validate)

    p = _command(commands, "derive", "validate, then write the analysis datasets (ADaM)",
                 "the study data folder",
                 "the validation report, then the folder written (adsl, adqs, adae, adtte)",
                 "0 written; 1 the data break the contract (nothing written); 2 bad arguments")
    p.add_argument("folder", type=Path, help="study data folder")
    p.add_argument("--out", type=Path, required=True, help="folder for adsl.csv, adqs.csv, ...")
    p.add_argument(
        "--exclude-out-of-window",
        action="store_true",
        help="leave post-baseline assessments outside their visit window out",
    )
    _encoding_argument(p)
    p.set_defaults(func=_derive)

    p = _command(commands, "run", "the whole job for a params file (see params/README.md)",
                 "the params file, the study data (or the synthetic cohort), notebooks/, the "
                 "previous output/<run>/ (reruns reuse unchanged steps)",
                 "one line per step ([1/7 params] ... [7/7 report]), then the reproduction "
                 "summary and the run folder; errors on stderr",
                 "0 the run folder is complete; 1 bad params or a failed step (the previous "
                 "output is left as it was); 2 bad arguments")
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

    p = _command(commands, "render", "render the manuscript of an existing run folder",
                 "the run folder (executed notebooks, ard/, key results, provenance) and the "
                 "manuscript sources; Quarto from PATH",
                 "where the report is: the formats written (index.html, .docx, .pdf) or, "
                 "without Quarto, the preview and the earlier render's formats kept",
                 "0 report written (or the preview); 1 the render failed (the previous "
                 "report/ is left as it was); 2 bad arguments")
    p.add_argument("run_dir", type=Path, help="e.g. output/default")
    p.set_defaults(func=_render)

    p = _command(commands, "diff", "every statistic and input that differs between two runs",
                 "two run folders: their ard/, key_results.csv, reproduction.csv, "
                 "provenance.json and params.yaml",
                 "the pairing (e.g. population FAS n 84 -> COMP n 63), a summary (statistics "
                 "changed, published figures whose verdict changed), the key results that "
                 "differ, then the inputs and every statistic by analysis, largest change first",
                 "0 nothing differs; 1 something differs; 2 a folder is not a run or bad "
                 "arguments")
    p.add_argument("run_a", type=Path, help="a run folder, e.g. output/default")
    p.add_argument("run_b", type=Path, help="another run folder, e.g. output/completers")
    p.add_argument("--only", choices=("key-results",), default=None,
                   help="key-results: the summary and the ledger's figures only")
    p.set_defaults(func=_diff)

    p = _command(commands, "params", "print the params schema, or check a params file",
                 "the params file given (none: nothing)",
                 "the schema as markdown (no file), or `<file>: valid` / the problem",
                 "0 valid (or the schema); 1 invalid; 2 bad arguments")
    p.add_argument("file", type=Path, nargs="?", default=None, help="params file to check")
    p.set_defaults(func=_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; a reader of stdout that went away ends it quietly with BROKEN_PIPE
    (stdout pointed at /dev/null, so that no later flush fails)."""
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE
    return code
