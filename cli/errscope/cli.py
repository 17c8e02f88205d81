"""The `errscope` command: parse arguments, call one library function, hand the result to a writer.

`main(argv)` returns the exit status and never lets a traceback out (unless --debug); errors
print as `errscope: error: ...` plus a hint on stderr. stdout carries data only.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from errscope import __version__
from errscope.errors import ErrscopeError, ExitStatus, UsageError
from errscope.formats import Format, emit, render, stream_is_terminal

try:  # Typer >= 0.22 vendors Click; older releases use the click package.
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

_EXIT = tuple({typer.Exit, getattr(click_exceptions, "Exit", typer.Exit)})
_ABORT = tuple({typer.Abort, getattr(click_exceptions, "Abort", typer.Abort)})
_NO_ARGS = getattr(click_exceptions, "NoArgsIsHelpError", ())


if TYPE_CHECKING:
    from errscope.loader import LoadOptions
    from errscope.report import Report

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 a check failed; 2 usage or registry error; 3 input error; 130 interrupted."
)

app = typer.Typer(
    name="errscope",
    help="Re-run an LLM error-classification registry over stored error rows and report "
    "what it would move.\n\n" + EXIT_CODES_HELP,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}

RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="Registry TOML file, or a built-in name (default)."),
]
ConfigOpt = Annotated[
    str | None, typer.Option("--config", help="Config TOML: registry, [mapping], source rules.")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Column mapping FIELD=PATH (type, message, status, provider, "
        "model, feature, source, user, timestamp, id, reason). Repeatable.",
    ),
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only rows at or after this UTC date/time.")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Only rows before this UTC date/time.")
]
WhereOpt = Annotated[
    str | None,
    typer.Option("--where", help="Filter on canonical columns, e.g. \"provider = 'openai'\"."),
]
SourceRuleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source-rule",
        help="CONDITION => SOURCE for rows without a source column. "
        "Repeatable; replaces the default rule (provider = 'lobehub' => platform).",
    ),
]
SkipBadOpt = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Count and skip malformed rows instead of failing.")
]
OutOpt = Annotated[str | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")]


def _version(value: bool) -> None:
    if value:
        print(f"errscope {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Neither read nor write the classification cache."),
    ] = False,
) -> None:
    _state["debug"] = debug
    if no_cache:
        os.environ["ERRSCOPE_NO_CACHE"] = "1"


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"{option} {value!r} is not a date or date-time",
            hint="use e.g. 2026-11-01 or 2026-11-01T12:00:00Z (UTC)",
        ) from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _load_options(
    config: str | None,
    mapping: list[str] | None,
    since: str | None,
    until: str | None,
    where: str | None,
    source_rules: list[str] | None,
    skip_bad_rows: bool,
) -> tuple[LoadOptions, str | None]:
    from errscope.config import load_config, parse_rule_option
    from errscope.loader import DEFAULT_SOURCE_RULES, LoadOptions
    from errscope.mapping import build_mapping, parse_map_options

    settings = load_config(config)
    overrides = dict(settings.mapping)
    overrides.update(parse_map_options(mapping or []))
    rules = (
        tuple(parse_rule_option(r) for r in source_rules)
        if source_rules
        else settings.source_rules
        if settings.source_rules is not None
        else DEFAULT_SOURCE_RULES
    )
    start, end = _parse_time(since, "--since"), _parse_time(until, "--until")
    if start and end and start >= end:
        raise UsageError(f"--since {since} is not before --until {until}")
    options = LoadOptions(
        mapping=build_mapping(overrides),
        since=start,
        until=end,
        where=where,
        source_rules=rules,
        skip_bad_rows=skip_bad_rows,
    )
    return options, settings.registry


def _progress() -> Callable[[str, float], None] | None:
    """A Rich bar on stderr, shown once a run passes a second, for loading and classifying."""
    if not stream_is_terminal(sys.stderr):
        return None
    state: dict[str, Any] = {"start": time.monotonic(), "bar": None, "tasks": {}}

    def update(stage: str, fraction: float) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

        if state["bar"] is None:
            if time.monotonic() - state["start"] < 1.0:
                return
            created = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            created.start()
            state["bar"] = created
        bar = state["bar"]
        if stage not in state["tasks"]:
            state["tasks"][stage] = bar.add_task(stage, total=1.0)
        bar.update(state["tasks"][stage], completed=fraction)
        if stage == "classifying" and fraction >= 1.0:
            bar.stop()
            state["bar"], state["tasks"] = None, {}
            state["start"] = float("inf")  # never show again in this run

    return update


def _write(report: Report, fmt: Format, out: str | None, primary: str | None = None) -> None:
    if fmt == Format.parquet and out is None:
        raise UsageError("--format parquet needs --out FILE", hint="parquet is binary")
    color = fmt == Format.table and out is None and stream_is_terminal(sys.stdout)
    emit(render(report, fmt, primary=primary, color=color), out)


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def _restrict(fmt: Format, allowed: tuple[Format, ...], command: str) -> None:
    if fmt not in allowed:
        raise UsageError(
            f"{command} writes {', '.join(f.value for f in allowed)}, not {fmt.value}",
        )


@app.command()
def analyze(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs or folders of exported rows.")],
    registry: RegistryOpt = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table, json or markdown.")
    ] = Format.table,
    out: OutOpt = None,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    full_rerun: Annotated[
        bool, typer.Option("--full-rerun", help="Classify every row as if it were a catch-all.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per table.")] = 15,
) -> None:
    """Re-run the registry over exported rows: fallback share, top codes and moves, sources."""
    from errscope.analysis import AnalyzeOptions
    from errscope.analysis import analyze as run_analysis
    from errscope.registry import load_registry

    _restrict(fmt, (Format.table, Format.json, Format.markdown), "analyze")
    options, config_registry = _load_options(
        config, mapping, since, until, where, source_rule, skip_bad_rows
    )
    loaded_registry = load_registry(registry or config_registry)
    report = run_analysis(
        inputs,
        loaded_registry,
        options,
        AnalyzeOptions(limit=limit, full_rerun=full_rerun),
        progress=_progress(),
    )
    inputs_meta = report.meta["inputs"]
    for bad in inputs_meta["bad_rows"]:
        _note(f"errscope: skipped malformed row {bad['file']}:{bad['line']}: {bad['text']!r}")
    if inputs_meta["rows_analysed"] == 0:
        _note("errscope: note: no rows to analyse (all skipped or the input is empty)")
        skipped = inputs_meta["rows_skipped"]
        if skipped and set(skipped) == {"no error recorded"}:
            _note(
                "hint: no row has an error where errscope looks (error.type, error.message); "
                "if the export names them differently, pass --map type=... --map message=..."
            )
    if fmt != Format.table:
        for line in report.headline:
            _note(f"errscope: {line}")
    for line in report.notes:
        _note(f"errscope: {line}")
    _write(report, fmt, out)


@app.command()
def diff(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs or folders of exported rows.")],
    registry: RegistryOpt = None,
    against: Annotated[
        str | None,
        typer.Option("--against", help="Compare with this registry instead of the stored codes."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", help="Write every moved row to FILE (.parquet, .csv, .jsonl)."),
    ] = None,
    report_out: Annotated[
        str | None, typer.Option("--report-out", help="Write the report to FILE, not stdout.")
    ] = None,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    full_rerun: Annotated[
        bool, typer.Option("--full-rerun", help="Treat every row as a catch-all on both sides.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Cells in the matrix.")] = 25,
    examples: Annotated[
        int, typer.Option("--examples", min=0, help="Example messages per cell.")
    ] = 3,
) -> None:
    """What a registry moves: from -> to with rows, examples and flag flips; --out moved rows."""
    from errscope.diff import DiffOptions
    from errscope.diff import diff as run_diff
    from errscope.registry import load_registry

    options, config_registry = _load_options(
        config, mapping, since, until, where, source_rule, skip_bad_rows
    )
    after = load_registry(registry or config_registry)
    before = load_registry(against) if against else None
    report = run_diff(
        inputs,
        after,
        before,
        options,
        DiffOptions(limit=limit, examples=examples, full_rerun=full_rerun),
        changed_out=out,
        progress=_progress(),
    )
    _emit_report(report, fmt, report_out, primary="matrix")


@app.command()
def sources(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs or folders of exported rows.")],
    registry: RegistryOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per table.")] = 25,
) -> None:
    """Per key source (byok / platform / unknown): codes, reasons, providers, models, features."""
    from errscope.registry import load_registry
    from errscope.sources import sources as run_sources

    options, config_registry = _load_options(
        config, mapping, since, until, where, source_rule, skip_bad_rows
    )
    report = run_sources(
        inputs,
        load_registry(registry or config_registry),
        options,
        limit=limit,
        progress=_progress(),
    )
    _emit_report(report, fmt, out, primary="sources")


@app.command()
def report(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs or folders of exported rows.")],
    out_dir: Annotated[str, typer.Option("--out-dir", help="Folder for the CSV files.")],
    weekly: Annotated[
        bool, typer.Option("--weekly", help="One detail and one summary CSV per ISO week.")
    ] = False,
    layout: Annotated[
        str, typer.Option("--layout", help="per-week (a file pair per week) or single.")
    ] = "per-week",
    registry: RegistryOpt = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Format of the list of files written.")
    ] = Format.table,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Items in summary lists.")] = 5,
) -> None:
    """Weekly CSV reports: per week and source/provider/model/code, plus a summary per week."""
    from errscope.registry import load_registry
    from errscope.weekly import WeeklyOptions
    from errscope.weekly import weekly as run_weekly

    if not weekly:
        raise UsageError(
            "report needs --weekly", hint="errscope report DUMP --weekly --out-dir DIR"
        )
    options, config_registry = _load_options(
        config, mapping, since, until, where, source_rule, skip_bad_rows
    )
    result = run_weekly(
        inputs,
        load_registry(registry or config_registry),
        WeeklyOptions(out_dir=out_dir, layout=layout, top=top),
        options,
        progress=_progress(),
    )
    _emit_report(result, fmt, None, primary="files")


@app.command()
def baseline(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs or folders of exported rows.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Baseline JSON file to write.")
    ] = "errscope-baseline.json",
    registry: RegistryOpt = None,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
) -> None:
    """Record the re-run fallback share, rows per code and the registry, for `check --baseline`."""
    import json

    from errscope.check import make_baseline
    from errscope.formats import write_atomic
    from errscope.registry import load_registry

    options, config_registry = _load_options(
        config, mapping, since, until, where, source_rule, skip_bad_rows
    )
    loaded_registry = load_registry(registry or config_registry)
    doc = make_baseline(inputs, loaded_registry, options, progress=_progress())
    write_atomic(output, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    _note(
        f"errscope: wrote {output}: {doc['rows']} rows, fallback share "
        f"{doc['fallback_share'] * 100:.2f}%, registry {loaded_registry.short_hash}"
    )


@app.command()
def check(
    inputs: Annotated[
        list[str] | None, typer.Argument(help="A dump to check against --baseline.")
    ] = None,
    corpus: Annotated[
        list[str] | None,
        typer.Option(
            "--corpus",
            help="Golden corpus JSONL (message, status, type, provider, expected). Repeatable.",
        ),
    ] = None,
    baseline_file: Annotated[
        str | None, typer.Option("--baseline", help="Baseline JSON from `errscope baseline`.")
    ] = None,
    tolerance: Annotated[
        str, typer.Option("--tolerance", help="Points the fallback share may rise.")
    ] = "0.5",
    max_code_loss: Annotated[
        str,
        typer.Option(
            "--max-code-loss",
            help="Largest share of a code's rows that may move to a fallback code (0.05 or 5%).",
        ),
    ] = "0.05",
    max_fallback_share: Annotated[
        str | None, typer.Option("--max-fallback-share", help="Absolute cap (0.2 or 20%).")
    ] = None,
    registry: RegistryOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json, junit, github or markdown.")
    ] = "text",
    out: OutOpt = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Report only: exit 0 even when a check fails.")
    ] = False,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    skip_bad_rows: SkipBadOpt = False,
) -> None:
    """CI gate: golden corpus cases and a dump against a baseline; exit 1 when a check fails."""
    from errscope.check import Limits, fraction
    from errscope.check import check as run_check
    from errscope.check_formats import CheckFormat, render_check
    from errscope.formats import emit
    from errscope.registry import load_registry

    try:
        output_format = CheckFormat(fmt)
    except ValueError as exc:
        raise UsageError(
            f"--format {fmt!r} is not one of {', '.join(f.value for f in CheckFormat)}"
        ) from exc
    limits = Limits(
        tolerance_points=fraction(tolerance, "--tolerance", percent_points=True),
        max_code_loss=fraction(max_code_loss, "--max-code-loss"),
        max_fallback_share=fraction(max_fallback_share, "--max-fallback-share")
        if max_fallback_share is not None
        else None,
    )
    options, config_registry = _load_options(config, mapping, None, None, None, None, skip_bad_rows)
    result = run_check(
        load_registry(registry or config_registry),
        corpus or [],
        inputs or [],
        baseline_file,
        limits,
        options,
        progress=_progress(),
    )
    emit(render_check(result, output_format).encode("utf-8"), out)
    if not result.passed and not exit_zero:
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))


@app.command()
def residuals(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs or folders of exported rows.")],
    registry: RegistryOpt = None,
    codes: Annotated[
        str | None,
        typer.Option("--codes", help="Comma-separated codes to mine (default: fallback codes)."),
    ] = None,
    emit_patterns: Annotated[
        str | None,
        typer.Option("--emit-patterns", help="Write the suggestions as registry entries (TOML)."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Templates to list.")] = 25,
    suggest: Annotated[
        int, typer.Option("--suggest", min=0, help="Top templates that get a pattern.")
    ] = 10,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
) -> None:
    """What is still unclassified, as templates, with the patterns to add next."""
    from errscope.formats import write_atomic
    from errscope.registry import load_registry
    from errscope.residuals import ResidualOptions, patterns_toml
    from errscope.residuals import residuals as run_residuals

    options, config_registry = _load_options(
        config, mapping, since, until, where, source_rule, skip_bad_rows
    )
    loaded_registry = load_registry(registry or config_registry)
    chosen = tuple(c.strip() for c in codes.split(",") if c.strip()) if codes else None
    report, suggestions = run_residuals(
        inputs, loaded_registry, options,
        ResidualOptions(codes=chosen, top=top, suggest=suggest), progress=_progress(),
    )
    if emit_patterns:
        text = patterns_toml(suggestions, loaded_registry, ", ".join(inputs))
        write_atomic(emit_patterns, text.encode("utf-8"))
        report.notes.append(f"wrote {len(suggestions)} suggested patterns to {emit_patterns}")
    _emit_report(report, fmt, out, primary="templates")


registry_app = typer.Typer(
    help="Validate, show and compare registry files.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(registry_app, name="registry")


@registry_app.command("validate")
def registry_validate(
    file: Annotated[str, typer.Argument(help="Registry TOML file (or `default`).")],
    corpus: Annotated[
        list[str] | None, typer.Option("--corpus", help="Golden corpus to find unused patterns.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when there are warnings.")
    ] = False,
) -> None:
    """Validate a registry; warn of patterns that never fire or go unused, unproducible codes."""
    from errscope.classify import read_cases
    from errscope.lint import lint
    from errscope.registry import load_registry

    loaded = load_registry(file)
    cases = [case for path in corpus or [] for case in read_cases(path)]
    warnings = lint(loaded, cases)
    for warning in warnings:
        print(f"warning: {warning.kind}: {warning.message}")
    print(
        f"{loaded.origin}: valid: {len(loaded.codes)} codes, {len(loaded.patterns)} patterns, "
        f"{len(warnings)} warning(s); hash {loaded.content_hash}"
    )
    if warnings and strict:
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))


@registry_app.command("show")
def registry_show(
    file: Annotated[str, typer.Argument(help="Registry TOML file (or `default`).")] = "default",
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
) -> None:
    """The registry's codes and patterns as a table, JSON or any other format."""
    from errscope.registry import load_registry
    from errscope.registry_view import show

    _write(show(load_registry(file)), fmt, out, primary="patterns")


@registry_app.command("diff")
def registry_diff(
    old: Annotated[str, typer.Argument(help="The registry before the change.")],
    new: Annotated[str, typer.Argument(help="The registry after the change.")],
    on: Annotated[
        list[str] | None, typer.Option("--on", help="A dump: also show the rows that would move.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
) -> None:
    """Patterns added, removed, reordered and codes changed; with --on, the rows that move."""
    from errscope.registry import load_registry
    from errscope.registry_view import changes

    before, after = load_registry(old), load_registry(new)
    report = changes(before, after, on or [], progress=_progress())
    _emit_report(report, fmt, out, primary="changes")


def _emit_report(report: Report, fmt: Format, out: str | None, primary: str) -> None:
    """Write a report; notes and (for non-table formats) the headline go to stderr."""
    if fmt != Format.table:
        for line in report.headline:
            _note(f"errscope: {line}")
    for line in report.notes:
        _note(f"errscope: {line}")
    _write(report, fmt, out, primary=primary)


@app.command()
def classify(
    message: Annotated[
        str | None, typer.Argument(help="The error message (omit with --file).")
    ] = None,
    status: Annotated[int | None, typer.Option("--status", help="Upstream HTTP status.")] = None,
    stored_type: Annotated[
        str, typer.Option("--type", help="The stored code the row carries.")
    ] = "ProviderBizError",
    provider: Annotated[str | None, typer.Option("--provider", help="Provider id.")] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="JSON Lines of {message, status, type, provider}.")
    ] = None,
    registry: RegistryOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
    full_rerun: Annotated[
        bool, typer.Option("--full-rerun", help="Treat the stored code as a catch-all.")
    ] = False,
) -> None:
    """Classify one message (or a file of them): code, id, and which step decided."""
    from errscope.classify import Case, read_cases
    from errscope.classify import classify as run_classify
    from errscope.registry import load_registry

    if (message is None) == (file is None):
        raise UsageError("give a MESSAGE or --file, not both or neither")
    cases = read_cases(file) if file else [Case(message or "", status, stored_type, provider)]
    report = run_classify(load_registry(registry), cases, full_rerun=full_rerun)
    _write(report, fmt, out)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    _state["debug"] = "--debug" in args
    saved_no_cache = os.environ.get("ERRSCOPE_NO_CACHE")
    try:
        return _main(args)
    finally:  # --no-cache must not outlive this call (tests run many in one process)
        if saved_no_cache is None:
            os.environ.pop("ERRSCOPE_NO_CACHE", None)
        else:
            os.environ["ERRSCOPE_NO_CACHE"] = saved_no_cache


def _main(args: list[str]) -> int:
    try:
        result = app(args=args, prog_name="errscope", standalone_mode=False)
        return int(result) if isinstance(result, int) else ExitStatus.OK
    except ErrscopeError as exc:
        if _state["debug"]:
            raise
        print(f"errscope: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_status
    except _EXIT as exc:
        return int(exc.exit_code)
    except click_exceptions.UsageError as exc:
        if _NO_ARGS and isinstance(exc, _NO_ARGS) and exc.ctx is not None:
            print(exc.ctx.get_help(), file=sys.stderr)
            return ExitStatus.USAGE
        print(f"errscope: error: {exc.format_message()}", file=sys.stderr)
        command = exc.ctx.command_path if exc.ctx else "errscope"
        print(f"hint: see '{command} --help'", file=sys.stderr)
        return ExitStatus.USAGE
    except _ABORT:
        print("errscope: error: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except KeyboardInterrupt:
        print("errscope: error: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.OK
    except Exception as exc:  # a bug: one line unless --debug
        if _state["debug"]:
            raise
        print(f"errscope: error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("hint: rerun with --debug for the traceback and report it", file=sys.stderr)
        return ExitStatus.USAGE


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
