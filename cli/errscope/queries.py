"""The SQL in queries/*.sql: each file one query with a `-- name/description/params` header.

Parameters are DuckDB `$name` placeholders bound from a dict; a call must bind exactly the
params the header declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from errscope.errors import QueryError


@dataclass(frozen=True)
class Query:
    """A named query file: its header fields and SQL text."""

    name: str
    description: str
    params: tuple[str, ...]
    sql: str
    header: tuple[tuple[str, str], ...] = ()


def queries_dir() -> Path:
    """The queries folder: inside the installed package, else the source checkout's queries/."""
    packaged = resources.files("errscope").joinpath("queries")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "queries"


@cache
def get(name: str) -> Query:
    """Load and parse queries/<name>.sql."""
    path = queries_dir() / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"no query named {name!r} in {path.parent}")
    return parse(path.read_text("utf-8"), source=str(path))


def parse(text: str, source: str = "<memory>") -> Query:
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        key, sep, value = line[2:].strip().partition(":")
        if sep:
            header[key.strip()] = value.strip()
    if "name" not in header or "description" not in header:
        raise QueryError(f"{source}: header needs -- name: and -- description:")
    params = tuple(p.strip() for p in header.get("params", "").split(",") if p.strip())
    return Query(header["name"], header["description"], params, text, tuple(header.items()))


def all_queries() -> list[Query]:
    return [get(p.stem) for p in sorted(queries_dir().glob("*.sql"))]


def execute(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Run a query with exactly its declared params bound."""
    query = get(name)
    if set(params) != set(query.params):
        raise QueryError(f"query {name} takes params {sorted(query.params)}, got {sorted(params)}")
    return con.execute(query.sql, params) if params else con.execute(query.sql)


def arrow(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Any:
    """Run a query and return a pyarrow Table."""
    query = get(name)
    if set(params) != set(query.params):
        raise QueryError(f"query {name} takes params {sorted(query.params)}, got {sorted(params)}")
    return con.sql(query.sql, params=params or None).to_arrow_table()


def records(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts, in the query's column order."""
    cursor = execute(con, name, **params)
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
