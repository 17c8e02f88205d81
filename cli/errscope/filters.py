"""Safe row filters: `--where` and source rules, checked against DuckDB's own parse tree.

An expression may use the canonical columns, constants, comparisons, AND/OR/NOT, IN, IS NULL,
LIKE/ILIKE and a short list of string functions; anything else (subqueries, other tables, other
functions) is refused before it reaches a query.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from errscope.errors import QueryError

ALLOWED_FUNCTIONS = frozenset(
    {
        "lower",
        "upper",
        "contains",
        "starts_with",
        "ends_with",
        "prefix",
        "suffix",
        "regexp_matches",
        "length",
        "coalesce",
        "trim",
        "~~",
        "!~~",
        "~~*",
        "!~~*",  # LIKE, NOT LIKE, ILIKE, NOT ILIKE
    }
)
_ALLOWED_OPERATORS = frozenset(
    {
        "COMPARE_IN",
        "COMPARE_NOT_IN",
        "OPERATOR_NOT",
        "OPERATOR_IS_NULL",
        "OPERATOR_IS_NOT_NULL",
        "OPERATOR_COALESCE",
    }
)
_ALLOWED_CLASSES = frozenset(
    {"CONJUNCTION", "COMPARISON", "CONSTANT", "COLUMN_REF", "OPERATOR", "FUNCTION", "BETWEEN"}
)


def check_filter(expression: str, columns: tuple[str, ...], what: str = "--where") -> str:
    """Validate an expression over `columns`; return it wrapped, ready to embed in a WHERE."""
    text = expression.strip()
    if not text:
        raise QueryError(f"{what} is empty")
    # Newlines around the text keep a trailing `--` comment from swallowing what follows.
    wrapped = f"(\n{text}\n)"
    con = duckdb.connect()
    try:
        tree = json.loads(
            con.execute(
                "SELECT json_serialize_sql($q)", {"q": f"SELECT 1 FROM rows WHERE {wrapped}"}
            ).fetchall()[0][0]  # type: ignore[index]
        )
    finally:
        con.close()
    hint = f"columns: {', '.join(columns)}; e.g. provider = 'openai' AND status >= 500"
    if tree.get("error"):
        raise QueryError(f"{what} does not parse: {tree.get('error_message', '')}", hint=hint)
    statements = tree.get("statements", [])
    node = statements[0].get("node", {}) if len(statements) == 1 else {}
    if node.get("type") != "SELECT_NODE" or node.get("where_clause") is None:
        raise QueryError(f"{what} must be a single boolean expression", hint=hint)
    _walk(node["where_clause"], columns, what, hint)
    return wrapped


def filter_columns(expression: str) -> frozenset[str]:
    """The columns an expression accepted by check_filter reads (lower case)."""
    query = f"SELECT 1 FROM rows WHERE (\n{expression}\n)"
    con = duckdb.connect()
    try:
        tree = json.loads(
            con.execute("SELECT json_serialize_sql($q)", {"q": query}).fetchall()[0][0]  # type: ignore[index]
        )
    finally:
        con.close()
    found: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                collect(item)
        elif isinstance(node, dict):
            if node.get("class") == "COLUMN_REF":
                found.update(str(name).lower() for name in node.get("column_names", []))
            for value in node.values():
                collect(value)

    collect(tree.get("statements", []))
    return frozenset(found)


def _walk(node: Any, columns: tuple[str, ...], what: str, hint: str) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, columns, what, hint)
        return
    if not isinstance(node, dict):
        return
    if "class" in node:
        kind = node["class"]
        if kind not in _ALLOWED_CLASSES:
            raise QueryError(f"{what}: {kind.lower()} expressions are not allowed", hint=hint)
        if kind == "COLUMN_REF":
            names = node.get("column_names", [])
            if len(names) != 1 or names[0].lower() not in columns:
                raise QueryError(f"{what}: unknown column {'.'.join(names)!r}", hint=hint)
        if kind == "OPERATOR" and node.get("type") not in _ALLOWED_OPERATORS:
            raise QueryError(f"{what}: operator {node.get('type')} is not allowed", hint=hint)
        if kind == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if name not in ALLOWED_FUNCTIONS or node.get("schema") or node.get("catalog"):
                raise QueryError(
                    f"{what}: function {name!r} is not allowed",
                    hint=f"allowed: {', '.join(sorted(ALLOWED_FUNCTIONS))}",
                )
    for key, value in node.items():
        if key in ("literal", "qualified_name", "order_bys"):
            continue
        _walk(value, columns, what, hint)
