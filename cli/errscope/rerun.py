"""Re-running a registry over loaded rows: match distinct messages once, decide tuples in SQL.

The loader's `groups` table counts rows per (stored code, message, status, provider, source).
Here the distinct messages get their pattern matches (errscope.match_cache: Hyperscan, cached
on disk), and one SQL projection (errscope.refine_sql) decides every tuple. The results are the
`{prefix}decisions` table (per stored code, message, status, provider), the `{prefix}decided`
table (the same joined to the groups and both codes' flags, for tuple-level reports) and the
`{prefix}classified` view (per row, for reports that need timestamps, models or ids).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from errscope import queries
from errscope.loader import ANALYSED, Progress
from errscope.match_cache import cache_enabled, detach, match_into, open_matches
from errscope.reasons import reason_for
from errscope.refine import NO_CODE
from errscope.refine_sql import decisions_sql, literal
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
        ("scope", pa.string()),
    ]
)


@dataclass(frozen=True)
class RerunStats:
    """How much work the re-run did."""

    distinct_tuples: int
    distinct_messages: int
    messages_matched: int  # the rest came from the cache


def message_keys(*registries: Registry, full_rerun: bool = False) -> frozenset[str] | None:
    """Stored codes whose message can change a decision under any of `registries`.

    None means every code (a full re-run looks at every message). The loader keeps messages
    only for these codes.
    """
    if full_rerun:
        return None
    names: set[str] = set()
    for registry in registries:
        names |= _looked(registry)
        # Fallback codes keep their messages too: residual reports show what is in them.
        fallback = {name for name, spec in registry.codes.items() if spec.fallback}
        names |= fallback | {a for a, code in registry.aliases.items() if code in fallback}
    return frozenset(names)


def _looked(registry: Registry) -> set[str]:
    """Stored names whose message the registry reads (refinable codes and their aliases)."""
    looked = set(registry.pattern_refinable) | set(registry.status_refinable)
    return looked | {alias for alias, code in registry.aliases.items() if code in looked}


def rerun(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    *,
    full_rerun: bool = False,
    prefix: str = "",
    progress: Progress | None = None,
    use_cache: bool | None = None,
    row_level: bool = True,
) -> RerunStats:
    """Create `{prefix}decided_raw`, `{prefix}decided`, `{prefix}codes` and `{prefix}patterns`
    from the loader's `groups`, and unless `row_level` is False (reports that read only
    tuples) `{prefix}decisions` and the per-row `{prefix}classified` view.

    Tuples are decided straight from the match cache, which a warm run finds complete: one
    join. Messages it lacks are matched into it, and the tuples decided again.
    """
    use_cache = cache_enabled() if use_cache is None else use_cache
    full_rerun = full_rerun or profile_full_rerun(con)
    if full_rerun:
        looked = "true"
    else:
        listed = ", ".join(literal(n) for n in sorted(_looked(registry))) or "NULL"
        looked = f"list_contains([{listed}]::VARCHAR[], coalesce(type, '{NO_CODE}'))"
    wanted = f"{looked} AND message IS NOT NULL AND message <> ''"
    matches = open_matches(con, registry, f"{prefix}matches", use_cache=use_cache)
    source = (
        "(SELECT g.type, g.message, g.status, g.provider, g.source, g.source_how, g.n, "
        f"g.first_ts, g.last_ts, m.matches, m.rowid AS _known FROM groups AS g "
        f"LEFT JOIN {matches} AS m ON g.message = m.message "
        f"WHERE g._disposition = '{ANALYSED}')"
    )
    kept = [
        "type",
        "message",
        "status",
        "provider",
        "source",
        "source_how",
        "n",
        "first_ts",
        "last_ts",
        "_known",
    ]
    decide = f"CREATE OR REPLACE TABLE {prefix}decided_raw AS " + decisions_sql(
        registry, source, kept, full_rerun=full_rerun
    )
    empty = not con.execute(f"SELECT 1 FROM {matches} LIMIT 1").fetchall()
    if empty:  # nothing cached (a new registry, or --no-cache): match first, decide once
        todo = f"SELECT DISTINCT message FROM groups WHERE _disposition = '{ANALYSED}' AND {wanted}"
    else:
        con.execute(decide)
        todo = f"SELECT DISTINCT message FROM {prefix}decided_raw WHERE _known IS NULL AND {wanted}"
    matched = match_into(con, registry, todo, matches, f"{prefix}matches", progress=progress)
    if matched or empty:
        con.execute(decide)
    if empty:  # every wanted message was matched just now, each once
        distinct = matched
    else:
        distinct = int(
            con.execute(  # cached messages are distinct, so are their row ids
                f"SELECT count(DISTINCT _known) FROM {prefix}decided_raw WHERE {wanted}"
            ).fetchall()[0][0]  # type: ignore[index]
        )
    detach(con, f"{prefix}matches")
    if row_level:
        con.execute(
            f"CREATE OR REPLACE TABLE {prefix}decisions AS SELECT type, message, status, "
            "provider, sum(n)::BIGINT AS n, new_code, step, pattern_position, status_used, "
            f"first_match FROM {prefix}decided_raw GROUP BY ALL"
        )
        tuples_sql = f"SELECT count(*) FROM {prefix}decisions"
    else:
        tuples_sql = _distinct_tuples_sql(con, f"{prefix}decided_raw")
    _register_patterns(con, registry, f"{prefix}patterns")
    names: set[str] = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT coalesce(type, '{NO_CODE}') FROM groups "
            f"WHERE _disposition = '{ANALYSED}' UNION SELECT DISTINCT new_code "
            f"FROM {prefix}decided_raw"
        ).fetchall()
    }
    _register_codes(con, registry, names, f"{prefix}codes")
    con.execute(queries.get("decided").sql.replace("{prefix}", prefix))
    if row_level:
        con.execute(queries.get("classified").sql.replace("{prefix}", prefix))
    tuples = int(con.execute(tuples_sql).fetchall()[0][0])  # type: ignore[index]
    return RerunStats(distinct_tuples=tuples, distinct_messages=distinct, messages_matched=matched)


def profile_full_rerun(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the loaded input's profile re-classifies every row (its stored codes are
    another system's vocabulary, not this registry's)."""
    try:
        found = con.execute("SELECT full_rerun FROM load_settings").fetchall()
    except duckdb.CatalogException:
        return False
    return bool(found and found[0][0])


def _distinct_tuples_sql(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL counting the distinct (type, message, status, provider) of `table`.

    Its rows are distinct with their source and source_how added. When each provider has one
    source and derivation (source rules reading the provider, no source column), those add
    nothing, and the rows are the count: no grouping by message.
    """
    mixed = con.execute(
        f"SELECT count(*) FROM (SELECT provider FROM {table} GROUP BY provider "
        "HAVING count(DISTINCT (source, source_how)) > 1)"
    ).fetchall()[0][0]  # type: ignore[index]
    if not mixed:
        return f"SELECT count(*) FROM {table}"
    return f"SELECT count(*) FROM (SELECT DISTINCT type, message, status, provider FROM {table})"


def _register_table(con: duckdb.DuckDBPyConnection, table: str, arrow: pa.Table) -> None:
    con.register(f"{table}_arrow", arrow)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")


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
    _register_table(con, table, arrow)


def _register_codes(
    con: duckdb.DuckDBPyConnection, registry: Registry, names: set[str], table: str
) -> None:
    """A code table for every name seen (aliases and unspecified names included).

    A stored name without a spec counts as a failure and is not retryable; it is a fallback
    when the registry refines it by pattern (LobeHub's bare `500`).
    """
    rows = []
    for name in sorted(names):
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
                "scope": spec.scope if spec else None,
            }
        )
    _register_table(con, table, pa.Table.from_pylist(rows, schema=_CODES_SCHEMA))
