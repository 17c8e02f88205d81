"""`diff`: what a registry moves, from the stored codes or from another registry, on the same rows.

Both sides are decided per distinct tuple and joined into one `pairs` table (tuple, row count,
before, after), so the matrix, the examples and the flips never touch the rows again; only
`--out` (every moved row) reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from errscope import __version__, queries
from errscope.analysis import inputs_meta, truncate
from errscope.loader import LoadOptions, Progress, connect, load
from errscope.match_cache import prepare
from errscope.registry import Registry
from errscope.report import Report, Section, percent, points, share

# A cell starting with =, +, -, @, tab or CR (what a spreadsheet would execute).
_FORMULA_RE = "'^[=+@\\t\\r-]'"

CHANGED_COLUMNS = [
    "id",
    "ts",
    "provider",
    "model",
    "feature",
    "source",
    "from_code",
    "to_code",
    "pattern_position",
    "pattern",
    "message",
    "before_registry_hash",
    "after_registry_hash",
]


@dataclass(frozen=True)
class DiffOptions:
    """How many cells and examples to show, and how long an example may be."""

    limit: int = 25
    examples: int = 3
    example_width: int = 200
    full_rerun: bool = False


def diff(
    specs: Sequence[str],
    after: Registry,
    before: Registry | None = None,
    load_options: LoadOptions | None = None,
    options: DiffOptions | None = None,
    changed_out: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Compare `after` with the stored codes (before=None) or with the `before` registry.

    With `changed_out`, every moved row is written there (parquet, csv or jsonl by suffix).
    """
    options = options or DiffOptions()
    con = connect()
    try:
        keep = diff_keys(after, before, options.full_rerun)
        prepare(after)
        loaded = load(con, specs, load_options, progress=progress, keep_message_for=keep)
        _pairs(con, after, before, options.full_rerun, progress)
        report = _report(con, after, before, options)
        report.meta["inputs"] = inputs_meta(loaded)
        if changed_out:
            report.notes.append(write_changed(con, changed_out, after, before))
        return report
    finally:
        con.close()


def _pairs(
    con: duckdb.DuckDBPyConnection,
    after: Registry,
    before: Registry | None,
    full: bool,
    progress: Progress | None = None,
) -> None:
    """Decide both sides on the loader's groups and join them into `pairs`."""
    from errscope.rerun import rerun

    rerun(con, after, full_rerun=full, prefix="after_", progress=progress)
    if before is not None:
        rerun(con, before, full_rerun=full, prefix="before_", progress=progress)
        con.execute(queries.get("diff-pairs-registries").sql)
    else:
        con.execute(queries.get("diff-pairs-stored").sql)


def diff_keys(after: Registry, before: Registry | None, full: bool) -> frozenset[str] | None:
    """The stored codes whose messages either side looks into."""
    from errscope.rerun import message_keys

    sides = (after,) if before is None else (after, before)
    return message_keys(*sides, full_rerun=full)


def _report(
    con: duckdb.DuckDBPyConnection, after: Registry, before: Registry | None, options: DiffOptions
) -> Report:
    totals = queries.records(con, "diff-totals")[0]
    total = int(totals["rows"])
    matrix = queries.records(con, "diff-matrix", limit=options.limit, examples=options.examples)
    for row in matrix:
        row["share"] = share(row["rows"], total)
        row["examples"] = " | ".join(
            truncate(m, options.example_width) or "" for m in row["examples"] or []
        )
    flips = queries.records(con, "diff-flips", limit=options.limit)
    before_share = share(totals["fallback_before"], total)
    after_share = share(totals["fallback_after"], total)
    before_label = "stored codes" if before is None else _label(before)
    meta = {
        "errscope_version": __version__,
        "before": {"kind": "stored"} if before is None else {"kind": "registry", **before.stamp()},
        "after": {"kind": "registry", **after.stamp()},
        "rows": total,
        "moved_rows": int(totals["moved"]),
        "moved_share": share(totals["moved"], total),
        "fallback": {
            "before_rows": int(totals["fallback_before"]),
            "before_share": before_share,
            "after_rows": int(totals["fallback_after"]),
            "after_share": after_share,
            "change_points": round((after_share - before_share) * 100, 4),
        },
        "flip_totals": {
            "became_retryable": int(totals["became_retryable"]),
            "stopped_retryable": int(totals["stopped_retryable"]),
            "became_failure": int(totals["became_failure"]),
            "stopped_failure": int(totals["stopped_failure"]),
        },
        "full_rerun": options.full_rerun,
    }
    headline = [
        f"before: {before_label}",
        f"after:  {_label(after)}",
        f"rows: {total}; moved: {totals['moved']} ({percent(share(totals['moved'], total))})",
        f"fallback share: {percent(before_share)} -> {percent(after_share)} "
        f"({points(after_share - before_share)})",
        f"retryable: +{totals['became_retryable']} rows become retryable, "
        f"-{totals['stopped_retryable']} stop; count_as_failure: +{totals['became_failure']} "
        f"/ -{totals['stopped_failure']}",
    ]
    sections = [
        Section(
            "matrix",
            "Moves (from -> to)",
            [
                "from_code",
                "to_code",
                "from_id",
                "to_id",
                "rows",
                "share",
                "retryable_flip",
                "count_as_failure_flip",
                "examples",
            ],
            matrix,
        ),
        Section(
            "flips",
            "Retryable and count_as_failure flips",
            ["flag", "direction", "from_code", "to_code", "rows"],
            flips,
        ),
    ]
    return Report("diff", meta, headline, sections)


def _label(registry: Registry) -> str:
    return f"{registry.name} {registry.version} ({registry.short_hash}) from {registry.origin}"


def write_changed(
    con: duckdb.DuckDBPyConnection, path: str, after: Registry, before: Registry | None
) -> str:
    """Every moved row to `path` (format by suffix), written whole or not at all."""
    from errscope.formats import write_atomic_with

    suffix = path.lower().rsplit(".", 1)[-1]
    formats = {
        "parquet": "FORMAT parquet",
        "csv": "FORMAT csv, HEADER true",
        "jsonl": "FORMAT json",
    }
    if suffix not in formats:
        from errscope.errors import UsageError

        raise UsageError(f"--out {path}: unknown suffix", hint="use .parquet, .csv or .jsonl")
    params = {
        "after_hash": after.content_hash,
        "before_hash": before.content_hash if before else None,
    }
    sql = queries.get("diff-changed-rows").sql
    count = int(con.execute(f"SELECT count(*) FROM ({sql})", params).fetchall()[0][0])  # type: ignore[index]

    if suffix in ("csv", "jsonl"):
        sql = f"SELECT * REPLACE (strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS ts) FROM ({sql})"
    if suffix == "csv":
        # Provider messages are attacker-influenced: neutralise cells a spreadsheet would run.
        texts = (
            "id",
            "provider",
            "model",
            "feature",
            "source",
            "from_code",
            "to_code",
            "pattern",
            "message",
        )
        replaced = ", ".join(
            f"CASE WHEN regexp_matches({c}, {_FORMULA_RE}) THEN chr(39) || {c} ELSE {c} END AS {c}"
            for c in texts
        )
        sql = f"SELECT * REPLACE ({replaced}) FROM ({sql})"

    def copy(temp: str) -> None:
        con.execute(
            f"COPY ({sql}) TO '{temp.replace(chr(39), chr(39) * 2)}' ({formats[suffix]})", params
        )

    write_atomic_with(path, copy)
    return f"wrote {count} moved rows to {path}"
