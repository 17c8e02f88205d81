"""`report --weekly`: deterministic CSV per ISO week (Monday start, UTC), or one file for all weeks.

Each week gets a detail file (per source, provider, model and code) and a summary file. Files
are written whole (temp file, then rename), so re-running over a week replaces it cleanly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from errscope import __version__, queries
from errscope.analysis import inputs_meta, truncate
from errscope.errors import UsageError
from errscope.formats import Format, render, write_atomic
from errscope.loader import LoadOptions, Progress, connect, load
from errscope.match_cache import prepare
from errscope.registry import Registry
from errscope.report import Report, Section, share

LAYOUTS = ("per-week", "single")
DETAIL_COLUMNS = [
    "week",
    "week_start",
    "source",
    "provider",
    "model",
    "code",
    "numeric_id",
    "category",
    "fallback",
    "rows_stored",
    "rows_rerun",
    "share",
    "first_seen",
    "last_seen",
    "days_seen",
    "rerun_change_wow",
]
SUMMARY_COLUMNS = [
    "week",
    "week_start",
    "rows",
    "fallback_rows_stored",
    "fallback_share_stored",
    "fallback_rows_rerun",
    "fallback_share_rerun",
    "fallback_change_points",
    "top_new_codes",
    "top_residual_messages",
    "registry_name",
    "registry_version",
    "registry_hash",
]


@dataclass(frozen=True)
class WeeklyOptions:
    """Where and how to write: folder, layout, and how many top items in the summary."""

    out_dir: str
    layout: str = "per-week"
    top: int = 5


def weekly(
    specs: Sequence[str],
    registry: Registry,
    options: WeeklyOptions,
    load_options: LoadOptions | None = None,
    progress: Progress | None = None,
) -> Report:
    """Write the weekly CSV files; the returned report lists the files written per week."""
    if options.layout not in LAYOUTS:
        raise UsageError(f"unknown layout {options.layout!r}", hint=f"one of: {', '.join(LAYOUTS)}")
    if not os.path.isdir(options.out_dir):
        raise UsageError(
            f"--out-dir {options.out_dir} is not a folder", hint="create it first (mkdir -p)"
        )
    from errscope.rerun import message_keys, rerun

    con = connect()
    try:
        keep = message_keys(registry)
        prepare(registry)
        loaded = load(con, specs, load_options, progress=progress, keep_message_for=keep)
        rerun(con, registry, progress=progress)
        detail, summary = _tables(con, registry, options.top)
        untimed = con.execute("SELECT count(*) FROM rows WHERE ts IS NULL").fetchall()[0][0]  # type: ignore[index]
    finally:
        con.close()
    written = _write(detail, summary, options)
    meta = {
        "errscope_version": __version__,
        "registry": registry.stamp(),
        "inputs": inputs_meta(loaded),
        "rows_without_timestamp": int(untimed),
        "out_dir": options.out_dir,
        "layout": options.layout,
    }
    headline = [
        f"registry {registry.name} {registry.version} ({registry.short_hash})",
        f"{len({r['week'] for r in summary})} weeks, {len(written)} files in {options.out_dir}",
    ]
    report = Report(
        "report",
        meta,
        headline,
        [Section("files", "Files written", ["week", "kind", "path", "rows"], written)],
    )
    if untimed:
        report.notes.append(f"{untimed} rows have no timestamp and are in no week")
    return report


def _tables(
    con: duckdb.DuckDBPyConnection, registry: Registry, top: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    detail = queries.records(con, "weekly-cells")
    for row in detail:
        row["share"] = share(row["rows_rerun"], row.pop("week_rows"))
    summary = queries.records(con, "weekly-summary", top=top)
    stamp = registry.stamp()
    for row in summary:
        stored = share(row["fallback_rows_stored"], row["rows"])
        rerun = share(row["fallback_rows_rerun"], row["rows"])
        row["fallback_share_stored"] = stored
        row["fallback_share_rerun"] = rerun
        row["fallback_change_points"] = round((rerun - stored) * 100, 4)
        messages = row.pop("top_residual_messages") or []
        counts = row.pop("top_residual_counts") or []
        row["top_residual_messages"] = " | ".join(
            f"{truncate(m, 120)} ({n})" for m, n in zip(messages, counts, strict=True)
        )
        row["registry_name"] = stamp["name"]
        row["registry_version"] = stamp["version"]
        row["registry_hash"] = stamp["hash"]
    return detail, summary


def _csv(columns: list[str], rows: list[dict[str, Any]], name: str) -> bytes:
    report = Report("report", {}, [], [Section(name, name, columns, rows)])
    return render(report, Format.csv)


def _write(
    detail: list[dict[str, Any]], summary: list[dict[str, Any]], options: WeeklyOptions
) -> list[dict[str, Any]]:
    written: list[dict[str, Any]] = []

    def put(
        week: str, kind: str, filename: str, columns: list[str], rows: list[dict[str, Any]]
    ) -> None:
        path = os.path.join(options.out_dir, filename)
        write_atomic(path, _csv(columns, rows, kind))
        written.append({"week": week, "kind": kind, "path": path, "rows": len(rows)})

    if options.layout == "single":
        put("all", "detail", "errscope-weekly.csv", DETAIL_COLUMNS, detail)
        put("all", "summary", "errscope-weekly-summary.csv", SUMMARY_COLUMNS, summary)
        return written
    for week in sorted({r["week"] for r in summary}):
        put(
            week,
            "detail",
            f"errscope-{week}.csv",
            DETAIL_COLUMNS,
            [r for r in detail if r["week"] == week],
        )
        put(
            week,
            "summary",
            f"errscope-{week}-summary.csv",
            SUMMARY_COLUMNS,
            [r for r in summary if r["week"] == week],
        )
    return written
