"""The CI-gate commands: baseline, check, and the registry group (validate, show, diff)."""

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
    _write,
    app,
)
from errscope.errors import ExitStatus, UsageError
from errscope.formats import Format


@app.command()
def baseline(
    inputs: Annotated[list[str], typer.Argument(help="Files, globs, folders, postgresql:// URLs.")],
    output: Annotated[
        str, typer.Option("--out", "--output", "-o", help="Baseline JSON file to write.")
    ] = "errscope-baseline.json",
    registry: RegistryOpt = None,
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
    """Record the re-run fallback share, rows per code and the registry, for `check --baseline`."""
    import json

    from errscope.check import make_baseline
    from errscope.formats import write_atomic
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
        list[str] | None,
        typer.Argument(help="A dump (or postgresql:// URL) to check against --baseline."),
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
    profile: ProfileOpt = None,
    table: TableOpt = None,
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
        max_code_loss=fraction(max_code_loss, "--max-code-loss", share=True),
        max_fallback_share=fraction(max_fallback_share, "--max-fallback-share", share=True)
        if max_fallback_share is not None
        else None,
    )
    options, config_registry = _load_options(
        config,
        mapping,
        None,
        None,
        None,
        None,
        skip_bad_rows,
        table=table,
        inputs=inputs,
        profile=profile,
    )
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


@registry_app.command("export")
def registry_export(
    dialect: Annotated[
        str,
        typer.Option(
            "--dialect",
            "-d",
            help="duckdb, postgres, clickhouse, spark, bigquery or trino.",
        ),
    ] = "duckdb",
    registry: RegistryOpt = None,
    view: Annotated[
        str | None,
        typer.Option("--view", help="Emit CREATE OR REPLACE VIEW NAME instead of a query."),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="The relation to read: columns type, message, status, provider.",
        ),
    ] = "errors",
    full_rerun: Annotated[
        bool, typer.Option("--full-rerun", help="Refine every stored code as a catch-all.")
    ] = False,
    output: Annotated[
        str | None,
        typer.Option("--output", "--out", "-o", help="Write to FILE (atomically), not stdout."),
    ] = None,
) -> None:
    """The registry's refinement as one SQL query (or view) to run in another engine."""
    from errscope.export import export_sql, parse_dialect
    from errscope.formats import emit
    from errscope.registry import load_registry

    target = parse_dialect(dialect)
    loaded = load_registry(registry)
    sql = export_sql(loaded, target, view=view, source=source, full_rerun=full_rerun)
    emit(sql.encode("utf-8"), output)
    if output not in (None, "-"):
        _note(
            f"errscope: wrote {output}: {target.value} SQL for registry {loaded.name} "
            f"{loaded.version} ({loaded.short_hash})"
        )
