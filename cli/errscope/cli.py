"""The `errscope` command: parse arguments, call one library function, hand the result to a writer.

`main(argv)` returns the exit status and never lets a traceback out (unless --debug); errors
print as `errscope: error: ...` plus a hint on stderr. stdout carries data only.
"""

from __future__ import annotations

import importlib
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
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Input layout: lobehub, omi, tale, litellm (see `errscope profiles`). "
        "Recognised from the input when omitted.",
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
TableOpt = Annotated[
    str | None,
    typer.Option(
        "--table",
        help="Table to read from a postgresql:// input (default agent_operations; "
        "may be schema-qualified).",
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
        typer.Option(
            "--no-cache", help="Neither read nor write the caches (matches, counted groups)."
        ),
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
    table: str | None = None,
    *,
    inputs: list[str] | None = None,
    profile: str | None = None,
) -> tuple[LoadOptions, str | None]:
    """Load options from flags and config, and the registry to use when none is given: the
    config's, else the input profile's (tale data reads best with the tale registry)."""
    from errscope.config import load_config, parse_rule_option
    from errscope.loader import DEFAULT_SOURCE_RULES, LoadOptions, recognise_profile
    from errscope.mapping import build_mapping, parse_map_options
    from errscope.profiles import LOBEHUB, get_profile

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
    chosen, detected = None, False
    if profile is not None:
        chosen = get_profile(profile)
    elif overrides:
        chosen = get_profile(LOBEHUB)  # a mapping describes the layout: nothing to recognise
    elif inputs:
        chosen, detected = recognise_profile(inputs), True
    if chosen is None or chosen.is_mapping_only:
        column_mapping = build_mapping(overrides)
    else:
        column_mapping = chosen.mapping(overrides)
    options = LoadOptions(
        mapping=column_mapping,
        table=table,
        since=start,
        until=end,
        where=where,
        source_rules=rules,
        skip_bad_rows=skip_bad_rows,
        profile=chosen,
        profile_detected=detected,
    )
    return options, settings.registry or (chosen.registry if chosen else None)


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


def _emit_report(report: Report, fmt: Format, out: str | None, primary: str) -> None:
    """Write a report; notes and (for non-table formats) the headline go to stderr."""
    if fmt != Format.table:
        for line in report.headline:
            _note(f"errscope: {line}")
    for line in report.notes:
        _note(f"errscope: {line}")
    _write(report, fmt, out, primary=primary)


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


# The commands live in two modules that register themselves on `app` when imported, reports
# first so that `--help` lists them in the order people reach for them.
for _module in ("cli_reports", "cli_gate"):
    importlib.import_module(f"errscope.{_module}")


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
