"""The report commands: analyze, diff, sources, report, residuals, classify."""

from __future__ import annotations

from typing import Annotated

import typer

from errscope.cli import (
    ConfigOpt,
    MapOpt,
    OutOpt,
    ProfileOpt,
    RegistryOpt,
    SinceOpt,
    SkipBadOpt,
    SourceRuleOpt,
    TableOpt,
    UntilOpt,
    WhereOpt,
    _emit_report,
    _load_options,
    _note,
    _progress,
    _restrict,
    _write,
    app,
)
from errscope.errors import UsageError
from errscope.formats import Format


@app.command()
def analyze(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs, folders, postgresql:// URLs.")],
    registry: RegistryOpt = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table, json or markdown.")
    ] = Format.table,
    out: OutOpt = None,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    profile: ProfileOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    table: TableOpt = None,
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
        config,
        mapping,
        since,
        until,
        where,
        source_rule,
        skip_bad_rows,
        table=table,
        inputs=inputs,
        profile=profile,
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
    inputs: Annotated[list[str], typer.Argument(help="Files, globs, folders, postgresql:// URLs.")],
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
    profile: ProfileOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    table: TableOpt = None,
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
        config,
        mapping,
        since,
        until,
        where,
        source_rule,
        skip_bad_rows,
        table=table,
        inputs=inputs,
        profile=profile,
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
    inputs: Annotated[list[str], typer.Argument(help="Files, globs, folders, postgresql:// URLs.")],
    registry: RegistryOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    profile: ProfileOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    table: TableOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per table.")] = 25,
) -> None:
    """Per key source (byok / platform / unknown): codes, reasons, providers, models, features."""
    from errscope.registry import load_registry
    from errscope.sources import sources as run_sources

    options, config_registry = _load_options(
        config,
        mapping,
        since,
        until,
        where,
        source_rule,
        skip_bad_rows,
        table=table,
        inputs=inputs,
        profile=profile,
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
    inputs: Annotated[list[str], typer.Argument(help="Files, globs, folders, postgresql:// URLs.")],
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
    profile: ProfileOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    table: TableOpt = None,
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
        config,
        mapping,
        since,
        until,
        where,
        source_rule,
        skip_bad_rows,
        table=table,
        inputs=inputs,
        profile=profile,
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
def residuals(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs, folders, postgresql:// URLs.")],
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
    profile: ProfileOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    table: TableOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
) -> None:
    """What is still unclassified, as templates, with the patterns to add next."""
    from errscope.formats import write_atomic
    from errscope.postgres import is_url, redact
    from errscope.registry import load_registry
    from errscope.residuals import ResidualOptions, patterns_toml
    from errscope.residuals import residuals as run_residuals

    options, config_registry = _load_options(
        config,
        mapping,
        since,
        until,
        where,
        source_rule,
        skip_bad_rows,
        table=table,
        inputs=inputs,
        profile=profile,
    )
    loaded_registry = load_registry(registry or config_registry)
    chosen = tuple(c.strip() for c in codes.split(",") if c.strip()) if codes else None
    report, suggestions = run_residuals(
        inputs,
        loaded_registry,
        options,
        ResidualOptions(codes=chosen, top=top, suggest=suggest),
        progress=_progress(),
    )
    if emit_patterns:
        origin = ", ".join(redact(i) if is_url(i) else i for i in inputs)  # no password
        text = patterns_toml(suggestions, loaded_registry, origin)
        write_atomic(emit_patterns, text.encode("utf-8"))
        report.notes.append(f"wrote {len(suggestions)} suggested patterns to {emit_patterns}")
    _emit_report(report, fmt, out, primary="templates")


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


@app.command()
def scopes(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs or folders of exported rows.")],
    registry: RegistryOpt = None,
    fallbacks: Annotated[
        str | None,
        typer.Option(
            "--fallbacks",
            help="Configured fallback models with prices (JSON, JSONL or CSV: provider, model, "
            "input_price, output_price).",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
    config: ConfigOpt = None,
    mapping: MapOpt = None,
    profile: ProfileOpt = None,
    table: TableOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    where: WhereOpt = None,
    source_rule: SourceRuleOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per table.")] = 25,
) -> None:
    """Failure scopes (credential, credit, endpoint, model, terminal) and the free-model rescue."""
    from errscope.registry import load_registry
    from errscope.scopes import scopes as run_scopes

    options, default_registry = _load_options(
        config,
        mapping,
        since,
        until,
        where,
        source_rule,
        skip_bad_rows,
        table=table,
        inputs=inputs,
        profile=profile,
    )
    report = run_scopes(
        inputs,
        load_registry(registry or default_registry or "tale"),
        options,
        fallbacks=fallbacks,
        limit=limit,
        progress=_progress(),
    )
    _emit_report(report, fmt, out, primary="rescue")


@app.command()
def profiles(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: OutOpt = None,
) -> None:
    """List the input profiles (lobehub, omi, tale, litellm): fields read, how each is known."""
    from errscope.profiles import describe_profiles

    _emit_report(describe_profiles(), fmt, out, primary="profiles")
