"""Loading the committed sample rows into a PostgreSQL table shaped like LobeHub's
`agent_operations` (DOMAIN.md section 4: timestamptz columns, `error` jsonb), for the tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

TEXT = ("id", "user_id", "workspace_id", "agent_id", "topic_id", "thread_id", "task_id",
        "parent_operation_id", "status", "completion_reason", "model", "provider", "trigger")
COLUMNS = {
    **{name: "text" for name in TEXT},
    "started_at": "timestamptz",
    "completed_at": "timestamptz",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    "error": "jsonb",
    "model_runtime_config": "jsonb",
    "total_cost": "numeric",
    "total_tokens": "integer",
    "llm_calls": "integer",
    "metadata": "jsonb",
}
NOT_NULL = {"id", "user_id", "status", "created_at", "updated_at"}


def ddl(table: str) -> str:
    columns = ",\n  ".join(
        f"{name} {typ}{' NOT NULL' if name in NOT_NULL else ''}{' PRIMARY KEY' if name == 'id' else ''}"
        for name, typ in COLUMNS.items()
    )
    return f"CREATE TABLE {table} (\n  {columns}\n)"


def _text(name: str, value: object) -> str | None:
    """Each value as the text PostgreSQL parses into the column's type; JSON values (an error
    exported as an object, or as a JSON string) keep their JSON form, so jsonb stores them alike."""
    if value is None:
        return None
    if COLUMNS[name] == "jsonb":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def load(url: str, sample: str | Path, table: str = "agent_operations") -> int:
    """(Re)create `table` and fill it with the sample's rows; return the row count."""
    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow as pa

    with gzip.open(sample, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    data = pa.table(
        {name: pa.array([_text(name, r.get(name)) for r in rows], pa.string()) for name in COLUMNS}
    )
    casts = ", ".join(f"{name}::{typ}" for name, typ in COLUMNS.items())
    with adbc.connect(url, autocommit=True) as con, con.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(ddl(table))
        cur.adbc_ingest(f"{table}_load", data, mode="replace", temporary=True)
        cur.execute(f"INSERT INTO {table} SELECT {casts} FROM {table}_load")
        cur.execute(f"ANALYZE {table}")
        cur.execute(f"SELECT count(*) FROM {table}")
        row = cur.fetchone()
    assert row is not None
    return int(row[0])
