"""The refinement rules (errscope.refine) as SQL, over tuples that carry their pattern matches.

Python decides which patterns match each distinct message (errscope.matcher); everything after
that, scopes, first match, the stored-code rule, the status map and aliases, runs in DuckDB as
one projection, so millions of tuples never pass through a Python loop. tests/test_refine_sql.py
proves it equal to errscope.refine on random registries and rows.
"""

from __future__ import annotations

from errscope.refine import NO_CODE
from errscope.registry import Registry


def literal(value: str | None) -> str:
    """A SQL string literal (or NULL)."""
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def _list(values: list[str]) -> str:
    return "([" + ", ".join(literal(v) for v in values) + "]::VARCHAR[])"


def decision_columns(registry: Registry, *, full_rerun: bool = False) -> str:
    """SELECT-list SQL computing new_code, step, pattern_position, status_used, first_match.

    `first_match` is the position of the first in-scope matching pattern, whether or not it
    decided (it does not when its code is the stored code).

    Expects columns `type`, `message`, `status`, `provider` and `matches` (0-based pattern
    indexes, ascending; NULL or empty when none match) in the FROM clause.
    """
    stored = f"coalesce(type, {literal(NO_CODE)})"
    if registry.aliases:
        cases = " ".join(
            f"WHEN {literal(alias)} THEN {literal(code)}"
            for alias, code in sorted(registry.aliases.items())
        )
        resolved = f"CASE {stored} {cases} ELSE {stored} END"
    else:
        resolved = stored
    pattern_codes = _list(sorted(registry.pattern_refinable))
    status_codes = _list(sorted(registry.status_refinable))
    by_pattern = "true" if full_rerun else f"list_contains({pattern_codes}, _resolved)"
    # A full re-run lets the status map decide only catch-alls and names the registry does not
    # know: a blunt status must not turn a specific stored code into a catch-all.
    specific = _list(sorted(n for n, spec in registry.codes.items() if not spec.fallback))
    by_status = (
        f"(list_contains({status_codes}, _resolved) OR NOT list_contains({specific}, _resolved))"
        if full_rerun
        else f"list_contains({status_codes}, _resolved)"
    )

    patterns = registry.patterns
    codes = _list([p.code for p in patterns]) if patterns else "([]::VARCHAR[])"
    scoped = any(p.providers is not None or p.stored_codes is not None for p in patterns)
    if not patterns:
        first = "NULL::INTEGER"
    elif not scoped:
        first = "matches[1]"
    else:
        first = _first_in_scope(registry)
    leading = (
        "TRY_CAST(nullif(regexp_extract(message, '^([45][0-9][0-9])(?:[^0-9]|$)', 1), '') "
        "AS INTEGER)"
        if registry.leading_status
        else "NULL::INTEGER"
    )
    status_cases = " ".join(
        f"WHEN _status_used BETWEEN {rule.low} AND {rule.high} THEN {literal(rule.code)}"
        for rule in registry.status_map
    )
    status_target = f"CASE {status_cases} END" if status_cases else "NULL::VARCHAR"
    # Nested projections name each intermediate once; DuckDB folds them into one pass.
    return f"""
  _stored AS stored_code_raw,
  new_code, step, pattern_position, status_used,
  _first + 1 AS first_match
FROM (
  SELECT *,
    CASE
      WHEN NOT _by_pattern AND NOT _by_status THEN _resolved
      WHEN _pattern_decides THEN _pattern_code
      WHEN _status_decides THEN _status_target
      ELSE _resolved END AS new_code,
    CASE
      WHEN NOT _by_pattern AND NOT _by_status THEN
        CASE WHEN _resolved <> _stored THEN 'alias' ELSE 'pass-through' END
      WHEN _pattern_decides THEN 'pattern'
      WHEN _status_decides THEN 'status'
      ELSE 'no-match' END AS step,
    CASE WHEN _pattern_decides THEN _first + 1 END AS pattern_position,
    CASE WHEN NOT _pattern_decides AND _status_decides THEN _status_used END AS status_used
  FROM (
    SELECT *,
      coalesce(_by_pattern AND _first IS NOT NULL AND _pattern_code <> _resolved, false)
        AS _pattern_decides,
      coalesce(_by_status AND _status_target IS NOT NULL AND _status_target <> _resolved, false)
        AS _status_decides
    FROM (
      SELECT *,
        {codes}[_first + 1] AS _pattern_code,
        {status_target} AS _status_target
      FROM (
        SELECT *,
          CASE WHEN _by_pattern THEN {first} END AS _first,
          CASE WHEN _by_status THEN coalesce(status, {leading}) END AS _status_used
        FROM (
          SELECT *, {by_pattern} AS _by_pattern, {by_status} AS _by_status
          FROM (
            SELECT *, {stored} AS _stored, {resolved} AS _resolved
            FROM __SOURCE__
          )
        )
      )
    )
  )
)"""


def _first_in_scope(registry: Registry) -> str:
    """The first match whose pattern's scopes admit the tuple's provider and stored code.

    Most first matches are unscoped patterns and are taken as they are; only a tuple whose
    first match is scoped filters its list, testing each scoped index with its own condition
    (a lambda that captures no per-pattern lists, which DuckDB would copy per element).
    """
    conditions = []
    for index, pattern in enumerate(registry.patterns):
        tests = []
        if pattern.providers is not None:
            tests.append(
                f"list_contains({_list(sorted(pattern.providers))}, lower(coalesce(provider, '')))"
            )
        if pattern.stored_codes is not None:
            codes = _list(sorted(pattern.stored_codes))
            tests.append(
                f"(list_contains({codes}, _stored) "
                f"OR (_resolved <> _stored AND list_contains({codes}, _resolved)))"
            )
        if tests:
            conditions.append((index, " AND ".join(tests)))
    scoped = "[" + ", ".join(str(index) for index, _ in conditions) + "]"
    cases = " ".join(f"WHEN {index} THEN coalesce({test}, false)" for index, test in conditions)
    return (
        f"CASE WHEN NOT list_contains({scoped}, matches[1]) THEN matches[1] "
        f"ELSE list_filter(matches, lambda _i: CASE _i {cases} ELSE true END)[1] END"
    )


def decisions_sql(
    registry: Registry, source: str, keep: list[str], *, full_rerun: bool = False
) -> str:
    """A full SELECT over `source` (a table or subquery) keeping `keep` columns and deciding."""
    columns = decision_columns(registry, full_rerun=full_rerun).replace("__SOURCE__", source)
    kept = ", ".join(keep)
    return f"SELECT {kept}, {columns}"
