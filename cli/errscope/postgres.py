"""Reading rows straight from a PostgreSQL table (LobeHub's `agent_operations`) into DuckDB.

Only the columns the mapping needs and the rows inside --since/--until travel, as Arrow record
batches (ADBC, binary COPY); rows without an error are counted on the server. The batches land in
a DuckDB table that the Parquet projection reads, so the results equal those from an export file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import duckdb

from errscope.errors import InputError
from errscope.inputs import POSTGRES, InputFile
from errscope.mapping import LOBEHUB_MAPPING, ColumnMapping
from errscope.projection import parquet_select, sql_string

if TYPE_CHECKING:
    from errscope.loader import LoadOptions

SCHEMES = ("postgresql://", "postgres://")
DEFAULT_TABLE = "agent_operations"
CONNECT_TIMEOUT_SECONDS = 10
_SECRET_KEYS = ("password", "sslpassword")
_FETCHED_PREFIX = "_pg_fetched_"
_LABEL_COLUMN = "filename"  # the column parquet_select reads as the row's source

# Types that travel as they are (Arrow has a direct equivalent the projection understands);
# every other type (jsonb, json, numeric, uuid, enums, arrays, ...) is sent as text.
_NATIVE_TYPES = frozenset(
    {"text", "varchar", "bpchar", "name", "timestamptz", "timestamp", "date", "int2", "int4",
     "int8", "float4", "float8", "bool"}
)
# How each timestamp type becomes an instant on the server, for the pushed-down window.
_INSTANT = {
    "timestamptz": "{col}",
    "timestamp": "({col} AT TIME ZONE 'UTC')",
    "date": "({col}::timestamp AT TIME ZONE 'UTC')",
}

# progress(stage, fraction done), as in errscope.loader.
Progress = Callable[[str, float], None]


def is_url(spec: str) -> bool:
    """Whether an input argument names a PostgreSQL database rather than a file."""
    return spec.startswith(SCHEMES)


def _split(url: str) -> tuple[str, str, str, str]:
    """scheme://, the userinfo (may be empty), the rest of the authority and path, the query."""
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("?")
    end = min(i for i in (rest.find("/"), len(rest)) if i >= 0)
    authority, path = rest[:end], rest[end:]
    userinfo, at, hosts = authority.rpartition("@")
    return f"{scheme}://", userinfo if at else "", hosts + path, query


def _loose_password(url: str) -> str:
    """The password read up to the URL's last '@': what a password holding an unencoded '/',
    '?', '#' or '@' would be (libpq would cut it short and might quote a piece of it)."""
    userinfo = url.partition("://")[2].rpartition("@")[0]
    return userinfo.partition(":")[2]


def _url_secrets(url: str) -> list[str]:
    _, userinfo, _, query = _split(url)
    found = [userinfo.partition(":")[2], _loose_password(url)]
    for param in query.split("&"):
        key, _, value = param.partition("=")
        if key in _SECRET_KEYS:
            found.append(value)
    found += [unquote(s) for s in found]
    return [s for s in found if s]


def secrets(url: str) -> list[str]:
    """Every form of a password the URL or environment holds, longest first, for scrubbing."""
    found = _url_secrets(url) + [os.environ.get("PGPASSWORD", "")]
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(text: str, hidden: list[str]) -> str:
    for secret in hidden:
        text = text.replace(secret, "***")
    return text


def redact(url: str) -> str:
    """The URL without its password (in the userinfo or a password= parameter)."""
    scheme, userinfo, rest, query = _split(url)
    user = userinfo.partition(":")[0]
    kept = [p for p in query.split("&") if p and p.partition("=")[0] not in _SECRET_KEYS]
    shown = f"{scheme}{user + '@' if user else ''}{rest}{'?' + '&'.join(kept) if kept else ''}"
    return scrub(shown, sorted(set(_url_secrets(url)), key=len, reverse=True))


def database_input(spec: str) -> InputFile:
    """An input naming a database: its `path` is the URL without the password."""
    if any(c in _loose_password(spec) for c in "/?#@"):
        raise InputError(
            f"the password in {redact(spec)} holds an unencoded '/', '?', '#' or '@'",
            hint="percent-encode them in a URL (%2F, %3F, %23, %40), or use PGPASSWORD or "
            "~/.pgpass",
        )
    return InputFile(redact(spec), POSTGRES, gzipped=False, url=spec)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool


@dataclass(frozen=True)
class TableInfo:
    """A table as the catalog describes it: its quoted, schema-qualified name and columns."""

    name: str
    columns: dict[str, Column]


@dataclass(frozen=True)
class Plan:
    """What to ask the server: the rows query, the count query, and the mapping to project."""

    mapping: ColumnMapping
    columns: tuple[str, ...]
    query: str
    count_query: str
    window_pushed_down: bool
    errors_only: bool


@dataclass(frozen=True)
class Fetched:
    """Rows streamed into DuckDB: the projection over them and what travelled."""

    select: str
    plan: Plan
    rows_fetched: int
    rows_without_error: int


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _instant(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return f"TIMESTAMPTZ '{value.isoformat(sep=' ')}+00'"


def _roots(paths: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(p.split(".")[0] for p in paths))


def _missing_column(table: TableInfo, what: str, hint: str) -> InputError:
    names = list(table.columns)
    listed = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
    return InputError(f"table {table.name} has no {what}", hint=f"{hint}; its columns: {listed}")


def plan(table: TableInfo, options: LoadOptions) -> Plan:
    """The columns to read and the queries, pushing down what can be decided on the server.

    The window is pushed down when every timestamp candidate up to the first NOT NULL one is a
    top-level timestamp/date column (else the rows are read and filtered in DuckDB, as from a
    file); later candidates are then never read. Rows whose error column is NULL are counted,
    not sent: they would all be 'no error recorded'.
    """
    mapping, columns = options.mapping, table.columns
    _check_columns(table, options)
    instants: list[str] = []
    stamps = mapping.paths.get("timestamp", ())
    pushable = True
    for index, path in enumerate(stamps):
        column = columns.get(path.split(".")[0])
        if column is None:
            continue  # a missing column is NULL in every row: skipping it changes nothing
        if "." in path or column.type not in _INSTANT:
            pushable = False  # read the rows and let DuckDB parse the value, as from a file
            break
        instants.append(_INSTANT[column.type].format(col=_ident(column.name)))
        if column.not_null:  # never NULL: the later candidates are never reached
            mapping = replace(mapping, paths={**mapping.paths, "timestamp": stamps[: index + 1]})
            break
    window: list[str] = []
    pushed = (options.since is not None or options.until is not None) and pushable and instants
    if pushed:
        instant = instants[0] if len(instants) == 1 else f"coalesce({', '.join(instants)})"
        if options.since is not None:
            window.append(f"{instant} >= {_instant(options.since)}")
        if options.until is not None:
            window.append(f"{instant} < {_instant(options.until)}")
    error_root = mapping.error_root
    error = _ident(error_root) if error_root is not None and error_root in columns else None
    wanted = [r for r in _roots(tuple(mapping.all_paths())) if r in columns]
    select = ", ".join(
        _ident(name)
        if columns[name].type in _NATIVE_TYPES
        else f"{_ident(name)}::text AS {_ident(name)}"
        for name in wanted
    )
    rows_where = " AND ".join(([f"{error} IS NOT NULL"] if error else []) + window)
    count_where = " AND ".join(window)
    without_error = f"count(*) FILTER (WHERE {error} IS NULL)" if error else "0"
    return Plan(
        mapping=mapping,
        columns=tuple(wanted),
        query=f"SELECT {select or 'NULL AS _none'} FROM {table.name}"
        + (f" WHERE {rows_where}" if rows_where else ""),
        count_query=f"SELECT {without_error}, count(*) FROM {table.name}"
        + (f" WHERE {count_where}" if count_where else ""),
        window_pushed_down=bool(pushed),
        errors_only=error is not None,
    )


def _check_columns(table: TableInfo, options: LoadOptions) -> None:
    """Missing columns the mapping cannot do without: one clear error naming the column."""
    mapping, columns = options.mapping, table.columns
    if _LABEL_COLUMN in _roots(tuple(mapping.all_paths())) and _LABEL_COLUMN in columns:
        raise InputError(
            f"table {table.name}: a column named {_LABEL_COLUMN} cannot be read yet",
            hint="select it under another name in a view and pass the view with --table",
        )
    error_paths = mapping.paths.get("type", ()) + mapping.paths.get("message", ())
    roots = _roots(error_paths)
    if roots and not any(r in columns for r in roots):
        raise _missing_column(
            table,
            f"column {' or '.join(roots)} (where errscope reads the error type and message)",
            "name the columns with --map type=COLUMN --map message=COLUMN",
        )
    for fld, paths in mapping.paths.items():
        if not paths or paths == LOBEHUB_MAPPING.get(fld):
            continue  # only fields the user mapped must exist: the defaults are candidates
        roots = _roots(paths)
        if not any(r in columns for r in roots):
            given = ",".join(paths)
            raise _missing_column(
                table,
                f"column {' or '.join(roots)} (--map {fld}={given})",
                f"map {fld} to one of its columns with --map {fld}=COLUMN",
            )
    stamps = mapping.paths.get("timestamp", ())
    window = options.since is not None or options.until is not None
    if window and not any(r in columns for r in _roots(stamps)):
        raise _missing_column(
            table,
            f"timestamp column ({', '.join(_roots(stamps))}) for --since/--until",
            "name it with --map timestamp=COLUMN",
        )


class DriverError(Exception):
    """The driver's own message with every password scrubbed (the cause shown by --debug)."""


def fetch(
    con: duckdb.DuckDBPyConnection,
    source: InputFile,
    options: LoadOptions,
    progress: Progress | None = None,
) -> Fetched:
    """Stream the table's rows into a DuckDB table; return the projection SQL over it.

    Both queries run in one read-only repeatable-read transaction, so the count of rows without
    an error and the rows sent come from the same snapshot.
    """
    import adbc_driver_manager

    assert source.url is not None
    table_name = options.table or DEFAULT_TABLE
    hidden = secrets(source.url)
    raw = f"{_FETCHED_PREFIX}{_fetched_count(con)}"
    try:
        with _connect(source.url) as pg, pg.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            info = describe(cur, table_name, source.path)
            made = plan(info, options)
            cur.execute(made.count_query)
            without_error, total = (int(v) for v in cur.fetchone())
            cur.execute(made.query)
            reader = cur.fetch_record_batch()
            fetched = _stream(con, reader, raw, source.path, total - without_error, progress)
            cur.execute("COMMIT")
    except adbc_driver_manager.Error as exc:
        text = scrub(str(exc), hidden)
        raise explain(exc, text, source.path, table_name) from DriverError(text)
    if without_error:
        con.execute(
            f"INSERT INTO {raw} ({_LABEL_COLUMN}) SELECT {sql_string(source.path)} "
            f"FROM range({without_error})"
        )
    select = parquet_select(con, [], made.mapping, relation=raw)
    return Fetched(select, made, fetched, without_error)


def _fetched_count(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, $prefix)",
        {"prefix": _FETCHED_PREFIX},
    ).fetchall()
    return int(rows[0][0])


@contextmanager
def _connect(url: str) -> Iterator[Any]:
    """An autocommit ADBC connection; libpq fills in PG* variables, service and password files."""
    import adbc_driver_postgresql.dbapi as adbc

    extra = []
    if "connect_timeout=" not in url and "PGCONNECT_TIMEOUT" not in os.environ:
        extra.append(f"connect_timeout={CONNECT_TIMEOUT_SECONDS}")
    if "application_name=" not in url and "PGAPPNAME" not in os.environ:
        extra.append("application_name=errscope")
    if extra:
        url += ("&" if "?" in url else "?") + "&".join(extra)
    connection = adbc.connect(url, autocommit=True)
    try:
        yield connection
    finally:
        connection.close()


_DESCRIBE = """
SELECT format('%I.%I', n.nspname, c.relname), a.attname, t.typname, a.attnotnull
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type AS t ON t.oid = a.atttypid
WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY a.attnum
"""


def describe(cur: Any, table: str, label: str) -> TableInfo:
    """The table's quoted name and columns; an InputError naming it when there is none."""
    cur.execute(_DESCRIBE, parameters=(table,))
    rows = cur.fetchall()
    if not rows:
        raise InputError(
            f"no table {table} in {label}",
            hint="name the table with --table (schema-qualified if needed, "
            "e.g. --table analytics.agent_operations)",
        )
    columns = {name: Column(name, typ, bool(nn)) for _, name, typ, nn in rows if name is not None}
    return TableInfo(rows[0][0], columns)


def _stream(
    con: duckdb.DuckDBPyConnection,
    reader: Any,
    raw: str,
    label: str,
    expected: int,
    progress: Progress | None,
) -> int:
    """Copy the record batches into DuckDB table `raw` in one statement (DuckDB spills, so
    memory stays bounded), counting rows on the way for the progress bar.

    One CREATE TABLE over the stream is several times faster than an INSERT per batch. A
    driver error inside the stream is re-raised as itself, not as DuckDB's wrapper.
    """
    import pyarrow as pa

    fetched = 0
    failure: list[BaseException] = []

    def batches() -> Iterator[Any]:
        nonlocal fetched
        try:
            for batch in reader:
                fetched += batch.num_rows
                if progress is not None and expected:
                    progress("fetching", min(fetched / expected, 1.0))
                yield batch
        except BaseException as exc:  # e.g. the server ending the COPY, or Ctrl-C
            failure.append(exc)
            raise

    con.register("_pg_stream", pa.RecordBatchReader.from_batches(reader.schema, batches()))
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {raw} AS SELECT *, {sql_string(label)} AS {_LABEL_COLUMN} "
            "FROM _pg_stream"
        )
    except duckdb.Error:
        if failure:
            raise failure[0] from None
        raise
    finally:
        con.unregister("_pg_stream")
    if progress is not None:
        progress("fetching", 1.0)
    return fetched


_CONNECT_FAILURES = (
    "connection refused",
    "could not translate host name",
    "timeout expired",
    "no such file or directory",
    "could not connect",
    "network is unreachable",
    "no route to host",
    "does not support ssl",
    "server closed the connection",
)


def _detail(text: str) -> str:
    """The server's or libpq's own words: one line, without the ADBC status prefix."""
    line = next((s.strip() for s in text.splitlines() if s.strip()), "unknown error")
    for marker in ("FATAL:  ", "ERROR:  "):
        if marker in line:
            return line.split(marker, 1)[1].strip()
    line = re.sub(r"^[A-Z_]+: ", "", line)
    line = line.removeprefix("[libpq] ").removeprefix("Failed to connect: ")
    return line.strip()


def explain(exc: Exception, text: str, label: str, table: str) -> InputError:
    """A driver error as one line and a hint; `text` is the driver's message, scrubbed."""
    state = getattr(exc, "sqlstate", None) or ""
    detail = _detail(text)
    lower = text.lower()
    if state.startswith("28") or "authentication failed" in lower or "no password" in lower:
        return InputError(
            f"PostgreSQL refused the login to {label}: {detail}",
            hint="check the user and password (in the URL, PGPASSWORD, ~/.pgpass or the "
            "service file)",
        )
    if state == "3D000" or ("does not exist" in lower and "database" in lower and not state):
        return InputError(f"cannot connect to {label}: {detail}", hint="check the database name")
    if state == "42P01":
        return InputError(
            f"no table {table} in {label}: {detail}",
            hint="name the table with --table (schema-qualified if needed)",
        )
    if state == "42703":
        return InputError(
            f"a column errscope reads is missing in {table}: {detail}",
            hint="map the field to an existing column with --map FIELD=COLUMN",
        )
    if state == "42501":
        return InputError(
            f"cannot read {table} in {label}: {detail}",
            hint="grant SELECT on the table, or connect as a user who has it",
        )
    if state in ("42602", "42601") or "improper relation name" in lower:
        return InputError(
            f"--table {table!r} is not a table name: {detail}",
            hint="use NAME or SCHEMA.NAME (double-quote mixed-case names)",
        )
    if not state and any(marker in lower for marker in _CONNECT_FAILURES):
        return InputError(
            f"cannot connect to PostgreSQL: {detail}",
            hint="is the server running and reachable at that host and port? "
            "(check the URL, or PGHOST/PGPORT)",
        )
    return InputError(f"reading {label} failed: {detail}", hint="rerun with --debug for details")
