"""Re-running a registry over loaded rows: classify distinct tuples once, join back in DuckDB.

Rows are never classified one by one: the (stored code, message, status, provider) tuples are
deduplicated by DuckDB, decided in Python with one multi-pattern pass per distinct message, and
the decisions joined back as the `classified` view that every report query reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from errscope import queries
from errscope.loader import Progress
from errscope.reasons import reason_for
from errscope.refine import NO_CODE, Refiner
from errscope.registry import Registry

_CODES_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("code", pa.string()),
        ("numeric_id", pa.string()),
        ("category", pa.string()),
        ("severity", pa.string()),
        ("attribution", pa.string()),
        ("retryable", pa.bool_()),
        ("count_as_failure", pa.bool_()),
        ("fallback", pa.bool_()),
        ("specified", pa.bool_()),
        ("reason", pa.string()),
    ]
)


@dataclass(frozen=True)
class RerunStats:
    """How much work the re-run did."""

    distinct_tuples: int
    distinct_messages: int
    looked_at: list[str]


def rerun(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    *,
    full_rerun: bool = False,
    prefix: str = "",
    also_look_at: frozenset[str] = frozenset(),
    progress: Progress | None = None,
) -> RerunStats:
    """Create `{prefix}decisions`, `{prefix}codes` and the `{prefix}classified` view over `rows`.

    Messages are kept in the tuple key only for stored codes the registry looks into (plus
    `also_look_at`, so that two registries compared on the same rows share one key).
    """
    refiner = Refiner(registry, full_rerun=full_rerun)
    stored = [r[0] for r in con.execute("SELECT DISTINCT type FROM rows").fetchall()]
    present = {s if s is not None else NO_CODE for s in stored}
    looked_at = sorted(
        {s if s is not None else NO_CODE for s in stored if refiner.needs_message(s)}
        | (also_look_at & present)
    )
    tuples = queries.arrow(con, "distinct-tuples", refinable=looked_at or ["\x00"])
    types = tuples.column("type").to_pylist()
    messages = tuples.column("message").to_pylist()
    statuses = tuples.column("status").to_pylist()
    providers = tuples.column("provider").to_pylist()
    decisions = []
    total = len(types)
    for decision in refiner.decide_many(zip(types, messages, statuses, providers, strict=True)):
        decisions.append(decision)
        if progress is not None and len(decisions) % 20_000 == 0:
            progress("classifying", len(decisions) / total)
    if progress is not None:
        progress("classifying", 1.0)
    table = pa.table(
        {
            "type": pa.array(types, pa.string()),
            "message": pa.array(messages, pa.string()),
            "status": pa.array(statuses, pa.int32()),
            "provider": pa.array(providers, pa.string()),
            "new_code": pa.array([d.code for d in decisions], pa.string()),
            "step": pa.array([d.step for d in decisions], pa.string()),
            "pattern_position": pa.array(
                [d.pattern.position if d.pattern else None for d in decisions], pa.int32()
            ),
            "status_used": pa.array([d.status for d in decisions], pa.int32()),
            "n": tuples.column("n"),
        }
    )
    con.execute(f"CREATE OR REPLACE TABLE {prefix}looked (type VARCHAR)")
    if looked_at:
        con.executemany(f"INSERT INTO {prefix}looked VALUES (?)", [[t] for t in looked_at])
    con.register(f"{prefix}decisions_arrow", table)
    con.execute(
        f"CREATE OR REPLACE TABLE {prefix}decisions AS SELECT * FROM {prefix}decisions_arrow"
    )
    con.unregister(f"{prefix}decisions_arrow")
    _register_patterns(con, registry, f"{prefix}patterns")
    names = set(stored) | {d.code for d in decisions}
    _register_codes(con, registry, names, f"{prefix}codes")
    con.execute(queries.get("classified").sql.replace("{prefix}", prefix))
    distinct_messages = len({m for m in messages if m is not None})
    return RerunStats(
        distinct_tuples=len(types), distinct_messages=distinct_messages, looked_at=looked_at
    )


def _register_patterns(con: duckdb.DuckDBPyConnection, registry: Registry, table: str) -> None:
    """The registry's patterns as a table: position, code, kind, text."""
    arrow = pa.table(
        {
            "position": pa.array([p.position for p in registry.patterns], pa.int32()),
            "code": pa.array([p.code for p in registry.patterns], pa.string()),
            "kind": pa.array([p.kind for p in registry.patterns], pa.string()),
            "text": pa.array([p.text for p in registry.patterns], pa.string()),
        }
    )
    con.register(f"{table}_arrow", arrow)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")


def _register_codes(
    con: duckdb.DuckDBPyConnection, registry: Registry, names: set[str | None], table: str
) -> None:
    """A code table for every name seen (aliases and unspecified names included)."""
    rows = []
    for name in sorted({n if n is not None else NO_CODE for n in names}):
        spec = registry.spec(name)
        rows.append(
            {
                "name": name,
                "code": spec.name if spec else name,
                "numeric_id": spec.id if spec else None,
                "category": spec.category if spec else "unspecified",
                "severity": spec.severity if spec else None,
                "attribution": spec.attribution if spec else None,
                "retryable": spec.retryable if spec else False,
                "count_as_failure": spec.count_as_failure if spec else True,
                "fallback": registry.is_fallback(name),
                "specified": spec is not None,
                "reason": reason_for(spec.name if spec else name, spec),
            }
        )
    arrow = pa.Table.from_pylist(rows, schema=_CODES_SCHEMA)
    con.register(f"{table}_arrow", arrow)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")
