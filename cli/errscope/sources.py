"""`sources`: who is affected: byok / platform / unknown by code, reason, provider, model, feature.

Reasons are Omi's vocabulary, derived from the re-run code; where the dump carries the reason a
system logged at the time, the rows whose re-derived reason differs are listed.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from errscope import __version__, queries
from errscope.analysis import inputs_meta, profile_line, truncate
from errscope.loader import LoadOptions, Progress, connect, load
from errscope.match_cache import prepare
from errscope.registry import Registry
from errscope.report import Report, Section, percent, share
from errscope.rerun import message_keys, rerun


def sources(
    specs: Sequence[str],
    registry: Registry,
    load_options: LoadOptions | None = None,
    limit: int = 25,
    progress: Progress | None = None,
) -> Report:
    """The per-source breakdown of the re-run codes."""
    con = connect()
    try:
        keep = message_keys(registry)
        prepare(registry)
        loaded = load(con, specs, load_options, progress=progress, keep_message_for=keep)
        rerun(con, registry, progress=progress)
        report = _report(con, registry, limit)
        report.headline[1:1] = profile_line(loaded)
        report.meta["inputs"] = inputs_meta(loaded)
        return report
    finally:
        con.close()


def _report(con: duckdb.DuckDBPyConnection, registry: Registry, limit: int) -> Report:
    codes = queries.records(con, "sources-codes")
    total = sum(r["rows"] for r in codes)
    for row in codes:
        row["share_of_source"] = share(row["rows"], row.pop("source_rows"))
        row["share"] = share(row["rows"], total)
    reasons = queries.records(con, "sources-reasons")
    for row in reasons:
        row["share_of_source"] = share(row["rows"], row.pop("source_rows"))
    dimensions = {}
    for dim in ("providers", "models", "features"):
        rows = queries.records(con, f"sources-{dim}", limit=limit)
        for row in rows:
            row["fallback_share_rerun"] = share(row["fallback_rerun"], row["rows"])
        dimensions[dim] = rows
    attribution = queries.records(con, "sources-attribution")
    for row in attribution:
        row["share_of_source"] = share(row["rows"], row.pop("source_rows"))
    matrix = queries.records(con, "sources-reason-matrix", limit=limit)
    hidden = queries.records(con, "sources-hidden-quota", limit=limit)
    for row in hidden:
        row["example"] = truncate(row["example"])
    disagreements = queries.records(con, "sources-reason-disagreements", limit=limit)
    for row in disagreements:
        row["example"] = truncate(row["example"])
    has_reason = bool(
        con.execute("SELECT count(*) FROM rows WHERE reason IS NOT NULL").fetchall()[0][0]  # type: ignore[index]
    )
    derivation = queries.records(con, "source-derivation")
    per_source: dict[str, int] = {}
    for row in codes:
        per_source[row["source"]] = per_source.get(row["source"], 0) + row["rows"]
    meta = {
        "errscope_version": __version__,
        "registry": registry.stamp(),
        "rows": total,
        "rows_by_source": {k: per_source[k] for k in sorted(per_source)},
        "stored_reason_present": has_reason,
        "hidden_quota_rows": sum(r["rows"] for r in hidden),
    }
    headline = [
        f"registry {registry.name} {registry.version} ({registry.short_hash})",
        f"rows: {total}; "
        + ", ".join(f"{k} {v} ({percent(share(v, total))})" for k, v in sorted(per_source.items())),
        "source decided by: "
        + "; ".join(f"{r['derived_from']} -> {r['source']}: {r['rows']}" for r in derivation),
    ]
    sections = [
        Section(
            "sources",
            "Source x code",
            [
                "source",
                "code",
                "numeric_id",
                "category",
                "attribution",
                "reason",
                "fallback",
                "rows",
                "share_of_source",
                "share",
            ],
            codes,
        ),
        Section(
            "reasons",
            "Source x reason (Omi style, from the re-run code)",
            ["source", "reason", "rows", "share_of_source"],
            reasons,
        ),
        Section(
            "attribution",
            "Whose failure: the key owner's, the provider's, or the platform's",
            ["source", "failure_of", "rows", "share_of_source", "top_code", "first_ts", "last_ts"],
            attribution,
        ),
        Section(
            "providers",
            "Source x provider",
            ["source", "provider", "rows", "fallback_share_rerun", "top_code", "top_reason"],
            dimensions["providers"],
        ),
        Section(
            "models",
            "Source x model",
            ["source", "model", "rows", "fallback_share_rerun", "top_code", "top_reason"],
            dimensions["models"],
        ),
        Section(
            "features",
            "Source x feature",
            ["source", "feature", "rows", "fallback_share_rerun", "top_code", "top_reason"],
            dimensions["features"],
        ),
        Section(
            "reason_disagreements",
            "Stored reason vs re-derived reason",
            ["source", "stored_reason", "derived_reason", "top_code", "rows", "example"],
            disagreements,
            note="" if has_reason else "The input carries no stored reason column.",
        ),
        Section(
            "reason_matrix",
            "Stored reason vs re-derived reason, per source and provider",
            ["source", "provider", "stored_reason", "derived_reason", "rows", "agrees"],
            matrix,
            note="" if has_reason else "The input carries no stored reason column.",
        ),
        Section(
            "hidden_quota",
            "Logged as reason unknown, in fact exhausted credit or quota",
            ["source", "provider", "code", "rows", "example"],
            hidden,
            note="" if has_reason else "The input carries no stored reason column.",
        ),
        Section(
            "source_derivation",
            "How the source was decided",
            ["derived_from", "source", "rows"],
            derivation,
        ),
    ]
    return Report("sources", meta, headline, sections)
