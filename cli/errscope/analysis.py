"""`analyze`: load rows, re-run the registry, and summarise what the re-run would change."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from errscope import __version__, queries
from errscope.loader import LoadOptions, LoadReport, Progress, connect, load
from errscope.match_cache import prepare
from errscope.profiles import LOBEHUB
from errscope.registry import Registry
from errscope.report import Report, Section, iso, percent, points, share
from errscope.rerun import RerunStats, message_keys, rerun


@dataclass(frozen=True)
class AnalyzeOptions:
    """Knobs of `analyze` beyond loading: how many rows per table, and full re-run."""

    limit: int = 15
    full_rerun: bool = False


def analyze(
    specs: Sequence[str],
    registry: Registry,
    load_options: LoadOptions | None = None,
    options: AnalyzeOptions | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run the whole analysis and return it as a Report (sections documented in the README)."""
    options = options or AnalyzeOptions()
    started = time.monotonic()
    con = connect()
    try:
        keep = message_keys(registry, full_rerun=options.full_rerun)
        prepare(registry)
        loaded = load(con, specs, load_options, progress=progress, keep_message_for=keep)
        stats = rerun(
            con, registry, full_rerun=options.full_rerun, progress=progress, row_level=False
        )
        return _report(con, registry, loaded, stats, options, time.monotonic() - started)
    finally:
        con.close()


def inputs_meta(loaded: LoadReport) -> dict[str, object]:
    """The accounting every command reports: rows read = analysed + skipped by reason."""
    return {
        "files": [f.path for f in loaded.files],
        "profile": loaded.profile,
        "profile_detected": loaded.profile_detected,
        "rows_read": loaded.rows_read,
        "rows_analysed": loaded.rows_analysed,
        "rows_skipped": dict(loaded.skipped),
        "bad_rows": [{"file": b.file, "line": b.line, "text": b.text} for b in loaded.bad_rows],
    }


def profile_line(loaded: LoadReport) -> list[str]:
    """`input profile: omi (recognised) - every row re-classified`, for non-LobeHub inputs."""
    if loaded.profile == LOBEHUB:
        return []
    how = "recognised from the input" if loaded.profile_detected else "--profile"
    return [
        f"input profile: {loaded.profile} ({how}); every row re-classified"
        if loaded.full_rerun
        else f"input profile: {loaded.profile} ({how})"
    ]


def _report(
    con: object,
    registry: Registry,
    loaded: LoadReport,
    stats: RerunStats,
    options: AnalyzeOptions,
    seconds: float,
) -> Report:
    summary = queries.records(con, "summary")[0]  # type: ignore[arg-type]
    total = int(summary["rows"])
    stored_share = share(summary["fallback_stored"], total)
    rerun_share = share(summary["fallback_rerun"], total)
    codes = queries.records(con, "top-codes", limit=options.limit)  # type: ignore[arg-type]
    for row in codes:
        row["share_rerun"] = share(row["rows_rerun"], total)
    moves = queries.records(con, "reclassifications", limit=options.limit)  # type: ignore[arg-type]
    for row in moves:
        row["share"] = share(row["rows"], total)
        row["example"] = truncate(row["example"])
    retry = queries.records(con, "retry-impact")[0]  # type: ignore[arg-type]
    sources = queries.records(con, "sources")  # type: ignore[arg-type]
    for row in sources:
        row["share"] = share(row["rows"], total)
        row["fallback_share_stored"] = share(row["fallback_stored"], row["rows"])
        row["fallback_share_rerun"] = share(row["fallback_rerun"], row["rows"])
    derivation = queries.records(con, "source-derivation")  # type: ignore[arg-type]
    steps = queries.records(con, "steps")  # type: ignore[arg-type]
    meta = {
        "errscope_version": __version__,
        "registry": registry.stamp(),
        "full_rerun": options.full_rerun,
        "inputs": inputs_meta(loaded),
        "time_span": {"first": iso(summary["first_ts"]), "last": iso(summary["last_ts"])},
        "fallback": {
            "stored_rows": int(summary["fallback_stored"]),
            "stored_share": stored_share,
            "rerun_rows": int(summary["fallback_rerun"]),
            "rerun_share": rerun_share,
            "change_points": round((rerun_share - stored_share) * 100, 4),
        },
        "reclassified_rows": int(summary["reclassified"]),
        "retry_impact": {k: int(v) for k, v in retry.items()},
        "work": {
            "distinct_tuples": stats.distinct_tuples,
            "distinct_messages": stats.distinct_messages,
        },
    }
    headline = [
        f"registry {registry.name} {registry.version} ({registry.short_hash})"
        + (" - full re-run" if options.full_rerun else ""),
        *profile_line(loaded),
        f"rows: {loaded.rows_read} read = {loaded.rows_analysed} analysed"
        + "".join(f" + {n} {reason}" for reason, n in loaded.skipped.items()),
        f"time span: {iso(summary['first_ts']) or '-'} .. {iso(summary['last_ts']) or '-'}",
        f"fallback share: {percent(stored_share)} stored -> {percent(rerun_share)} re-run "
        f"({points(rerun_share - stored_share)})",
        f"reclassified: {summary['reclassified']} rows "
        f"({percent(share(summary['reclassified'], total))})",
        f"retry impact: {retry['became_retryable']} rows become retryable, "
        f"{retry['stopped_retryable']} stop being retryable",
    ]
    notes = [
        f"re-ran {stats.distinct_tuples} distinct tuples, {stats.distinct_messages} distinct "
        f"messages ({stats.messages_matched} matched now, the rest from the cache) "
        f"in {seconds:.2f}s"
    ]
    if loaded.rows_cached:
        notes.append(
            f"{loaded.rows_cached} of {loaded.rows_read} rows counted from the load cache "
            "(files unchanged since an earlier run)"
        )
    sections = [
        Section(
            "codes",
            "Top codes after the re-run",
            [
                "code",
                "numeric_id",
                "category",
                "fallback",
                "rows_stored",
                "rows_rerun",
                "share_rerun",
            ],
            codes,
        ),
        Section(
            "reclassifications",
            "Top reclassifications (stored -> re-run)",
            ["from_code", "to_code", "rows", "share", "example"],
            moves,
        ),
        Section(
            "sources",
            "Per source (byok / platform / unknown)",
            [
                "source",
                "rows",
                "share",
                "fallback_share_stored",
                "fallback_share_rerun",
                "top_code",
            ],
            sources,
        ),
        Section(
            "source_derivation",
            "How the source was decided",
            ["derived_from", "source", "rows"],
            derivation,
        ),
        Section("steps", "Deciding step", ["step", "rows"], steps),
    ]
    return Report(command="analyze", meta=meta, headline=headline, sections=sections, notes=notes)


def truncate(text: str | None, width: int = 160) -> str | None:
    """One line of at most `width` characters, with an ellipsis when cut."""
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
