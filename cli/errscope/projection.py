"""SQL that projects input files onto errscope's canonical columns.

Generated here, not kept in queries/, because it depends on each file's schema: JSON documents
are read with one multi-path extraction per container, Parquet structs field by field, and
identifiers come only from validated mapping paths.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import duckdb

from errscope.errors import InputError
from errscope.inputs import JSON_ARRAY, JSONL, PARQUET, InputFile
from errscope.mapping import (
    KIND_MESSAGE,
    KIND_STATUS,
    KIND_TIMESTAMP,
    ColumnMapping,
)

# Lines up to this size are read; a longer line is an input error that names the limit.
MAX_LINE_BYTES = 64 << 20


def input_error(exc: duckdb.Error, files: list[InputFile]) -> InputError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix("Invalid Input Error: ").removeprefix("IO Error: ")
    if "Maximum line size" in text:
        return InputError(
            f"a line is longer than {MAX_LINE_BYTES >> 20} MiB: {text}",
            hint="split the export or shorten the stored messages",
        )
    if "gzip" in text.lower() or "compress" in text.lower():
        return InputError(f"cannot decompress input: {text}", hint="the file may be truncated")
    names = ", ".join(f.name for f in files[:3]) + (" ..." if len(files) > 3 else "")
    return InputError(f"cannot read {names}: {text}", hint="check the file is a complete export")


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_path(parts: Sequence[str]) -> str:
    return sql_string("$" + "".join(f'."{p}"' for p in parts))


def path_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(sql_string(p) for p in paths) + "]"


class _Extractor:
    """Collects the JSON paths read from each container, so every container is parsed once.

    `text(container, parts)` returns a placeholder column reference; `select_list()` gives the
    inner projection that extracts all of a container's paths in one `json_extract_string`
    call. A container holding a JSON *string* of a document (LobeHub's `error` exported as a
    string) is parsed once more first.
    """

    def __init__(self) -> None:
        self.containers: dict[str, tuple[str, list[str]]] = {}

    def text(self, container: str, parts: Sequence[str]) -> str:
        name, paths = self.containers.setdefault(container, (f"_x{len(self.containers)}", []))
        path = _json_path(parts)
        if path not in paths:
            paths.append(path)
        return f"{name}[{paths.index(path) + 1}]"

    def select_list(self) -> str:
        return "".join(
            f", TRY(json_extract_string({_unwrap_json(expr)}, [{', '.join(paths)}])) AS {name}"
            for expr, (name, paths) in self.containers.items()
        )


@dataclass(frozen=True)
class Grouping:
    """Read Parquet rows as groups of alike rows rather than one by one (see parquet_select).

    `fields`: the mapping fields to compute (the others come out NULL). `ts_keys`: conditions
    on the row's timestamp, written over `{ts}`, that all rows of a group share (time
    filters). `where`: which rows to read, so that one part's distinct rows fit in memory.
    """

    fields: frozenset[str]
    ts_keys: tuple[str, ...] = ()
    where: str = "true"


def json_select(
    paths: list[str], fmt: str, gzipped: bool, mapping: ColumnMapping, rejects: str | None = None
) -> str:
    """Rows of JSON Lines or JSON-array files, one JSON document per row, projected.

    With `rejects`, a JSON Lines line DuckDB cannot read as text (not valid UTF-8, longer than
    MAX_LINE_BYTES) is left out and recorded in the temporary tables `<rejects>` and
    `<rejects>_scans` (DuckDB's store_rejects) instead of failing the statement: the caller
    counts it (bad_rows.record_rejects).
    """
    compression = "'gzip'" if gzipped else "'none'"
    if fmt == JSONL:
        kept = (
            f", store_rejects = true, rejects_table = {sql_string(rejects)}, "
            f"rejects_scan = {sql_string(rejects + '_scans')}"
            if rejects
            else ""
        )
        source = (
            f"SELECT filename AS _file, line AS _text FROM read_csv({path_list(paths)}, "
            "columns = {'line': 'VARCHAR'}, delim = '', quote = '', escape = '', header = false, "
            f"auto_detect = false, filename = true, compression = {compression}, "
            f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {MAX_LINE_BYTES * 2}{kept})"
        )
    else:
        assert fmt == JSON_ARRAY
        source = (
            f"SELECT filename AS _file, json::VARCHAR AS _text FROM read_json_objects("
            f"{path_list(paths)}, "
            f"format = 'array', filename = true, compression = {compression})"
        )
    roots = _roots(mapping)
    root_paths = "[" + ", ".join(_json_path([r]) for r in roots) + "]"
    extractor = _Extractor()

    def raw(root: str) -> str:
        return f"_f[{roots.index(root) + 1}]"

    def value_text(path: str) -> str:
        root, _, rest = path.partition(".")
        if not rest:
            return f"({raw(root)} ->> '$')"
        return extractor.text(raw(root), rest.split("."))

    def value_ts(path: str) -> str:
        root, _, rest = path.partition(".")
        if not rest:
            return _json_timestamp(raw(root))
        return _text_timestamp(value_text(path))

    columns = _project(mapping, value_text, value_ts)
    error_root = mapping.error_root
    if error_root:
        root = raw(error_root)
        present = f"({root} IS NOT NULL AND {root}::VARCHAR NOT IN ('null', '{{}}', '\"\"'))"
        plain = (
            f"CASE WHEN starts_with({root}::VARCHAR, '\"') "
            f"AND TRY_CAST({root} ->> '$' AS JSON) IS NULL THEN {root} ->> '$' END"
        )
        columns["message"] = f"coalesce({columns['message']}, {plain})"
    else:
        present = "NULL"
    inner = (
        "SELECT _file, (_text IS NULL OR trim(_text) = '') AS _blank, "
        "coalesce(CASE WHEN json_valid(_text) THEN json_type(_text) = 'OBJECT' END, false) "
        f"AS _valid, _text FROM ({source})"
    )
    extracted = (
        f"SELECT _file, _blank, _valid, CASE WHEN _valid THEN json_extract(_text, {root_paths}) "
        f"END AS _f FROM ({inner})"
    )
    projection = ", ".join(f"{expr} AS {col}" for col, expr in columns.items())
    return (
        f"SELECT _file, _blank, _valid, {present} AS _error_present, {projection} "
        f"FROM (SELECT *{extractor.select_list()} FROM ({extracted}))"
    )


def _roots(mapping: ColumnMapping) -> list[str]:
    roots: list[str] = []
    for path in mapping.all_paths():
        root = path.split(".")[0]
        if root not in roots:
            roots.append(root)
    return roots


def _project(
    mapping: ColumnMapping,
    value_text: Callable[[str], str],
    value_ts: Callable[[str], str],
    never_null: Callable[[str], bool] = lambda path: False,
) -> dict[str, str]:
    """field -> SQL expression, coalescing each field's candidate paths in order.

    A candidate known never to be NULL (from Parquet statistics) ends the list: the later
    ones could never be reached, and leaving them out saves reading their columns.
    """
    columns: dict[str, str] = {}
    for fld, col, kind_of in mapping.targets():
        paths = mapping.paths.get(fld, ())
        for index, path in enumerate(paths):
            if never_null(path):
                paths = paths[: index + 1]
                break
        if kind_of == KIND_STATUS:
            exprs = [f"TRY_CAST(TRY_CAST({value_text(p)} AS DOUBLE) AS INTEGER)" for p in paths]
            kind = "INTEGER"
        elif kind_of == KIND_TIMESTAMP:
            exprs = [value_ts(p) for p in paths]
            kind = "TIMESTAMP"
        elif kind_of == KIND_MESSAGE:
            # Messages stay exactly as stored (patterns may anchor on leading text).
            exprs = [f"nullif(CAST({value_text(p)} AS VARCHAR), '')" for p in paths]
            kind = "VARCHAR"
        else:
            exprs = [f"nullif(trim(CAST({value_text(p)} AS VARCHAR)), '')" for p in paths]
            kind = "VARCHAR"
        exprs = [e for e in exprs if e != "NULL"]
        if not exprs:
            columns[col] = f"CAST(NULL AS {kind})"
        elif len(exprs) == 1:
            columns[col] = exprs[0]
        else:
            columns[col] = f"coalesce({', '.join(exprs)})"
    return columns


def _epoch(number: str) -> str:
    """A timestamp from epoch seconds, milliseconds, microseconds or nanoseconds, told apart by
    size (the usual cut-offs: each unit covers 1973 to 5138 before the next takes over)."""
    return (
        f"TRY(make_timestamp(CAST(CASE WHEN abs({number}) > 1e17 THEN {number} / 1000 "
        f"WHEN abs({number}) > 1e14 THEN {number} "
        f"WHEN abs({number}) > 1e11 THEN {number} * 1000 "
        f"ELSE {number} * 1000000 END AS BIGINT)))"
    )


def _json_timestamp(value: str) -> str:
    text = _text_timestamp("(" + value + " ->> '$')")
    return (
        f"CASE json_type({value}) "
        f"WHEN 'VARCHAR' THEN {text} "
        f"WHEN 'BIGINT' THEN {_epoch(f'CAST({value} AS DOUBLE)')} "
        f"WHEN 'UBIGINT' THEN {_epoch(f'CAST({value} AS DOUBLE)')} "
        f"WHEN 'DOUBLE' THEN {_epoch(f'CAST({value} AS DOUBLE)')} END"
    )


_FULL_COLUMNS: dict[tuple[tuple[str, int, int, int, int], ...], frozenset[str]] = {}


def _file_identity(path: str) -> tuple[str, int, int, int, int]:
    """What changes when a file is replaced or rewritten (ctime even if mtime is restored)."""
    st = os.stat(path)
    return path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _never_null(
    con: duckdb.DuckDBPyConnection, paths: list[str], types: dict[str, object]
) -> Callable[[str], bool]:
    """Top-level columns that every file's statistics say hold no NULL, and for text no value
    that starts with a space or is empty (which the projection would turn into NULL).

    Remembered per file list and the files' identities: a large file read in parts asks
    once, not once per part (reading the statistics of 100 row groups took 60 ms).
    """
    try:
        identity = tuple(_file_identity(p) for p in paths)
    except OSError:
        identity = None
    full = _FULL_COLUMNS.get(identity) if identity is not None else None
    if full is None:
        try:
            stats = con.execute(
                "SELECT path_in_schema, bool_and(stats_null_count = 0 AND (stats_min_value IS "
                "NULL OR stats_min_value >= '!')) AS full, "
                "count(DISTINCT file_name) AS files FROM parquet_metadata("
                f"{path_list(paths)}) GROUP BY ALL"
            ).fetchall()
        except duckdb.Error:
            return lambda path: False
        full = frozenset(name for name, ok, files in stats if ok and files == len(paths))
        if identity is not None:
            _FULL_COLUMNS[identity] = full

    def check(path: str) -> bool:
        return path in full and "." not in path

    return check


def _is_text(typ: object) -> bool:
    """String columns, and JSON columns (DuckDB hands them over as an Arrow JSON extension)."""
    import pyarrow as pa

    storage = getattr(typ, "storage_type", typ)
    return bool(pa.types.is_string(storage) or pa.types.is_large_string(storage))


def _unwrap_json(expr: str) -> str:
    """A text/JSON value as a JSON document, parsing once more when it holds a JSON string.

    The test is on the first character (a JSON string starts with a quote), which costs no
    parse; invalid JSON becomes NULL through TRY in the caller.
    """
    text = f"CAST({expr} AS VARCHAR)"
    return f"CASE WHEN starts_with({text}, '\"') THEN {expr} ->> '$' ELSE {text} END"


def _text_timestamp(text: str) -> str:
    """A timestamp from text: ISO 8601 (any offset), or epoch digits (seconds to nanoseconds)."""
    return (
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{9,19}}') "
        f"THEN {_epoch(f'CAST({text} AS DOUBLE)')} "
        f"ELSE CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) END"
    )


def parquet_select(
    con: duckdb.DuckDBPyConnection,
    paths: list[str],
    mapping: ColumnMapping,
    relation: str | None = None,
    grouping: Grouping | None = None,
) -> str:
    """Rows of Parquet files, with struct fields read directly and JSON strings parsed.

    `relation` reads a DuckDB table of the same shape instead (rows streamed from PostgreSQL):
    its `filename` column names the source; no Parquet statistics are consulted.

    With `grouping`, one row per group of rows alike in every raw column the wanted fields
    are read from, with the group's row count `_n` and its first and last timestamps: JSON
    is parsed and the columns computed once per distinct raw row, not once per row.
    """
    import pyarrow as pa

    reader = relation or f"read_parquet({path_list(paths)}, union_by_name = true, filename = true)"
    try:
        schema = con.sql(f"SELECT * FROM {reader} LIMIT 0").to_arrow_table()
    except duckdb.Error as exc:
        raise input_error(exc, [InputFile(p, PARQUET, False) for p in paths]) from exc
    types = {f.name: f.type for f in schema.schema}
    # Text written as plain BINARY (no UTF8 annotation: older Hive, Go and Spark writers) is
    # read as text; a value that is not valid UTF-8 makes its row a malformed row.
    decoded: set[str] = set()  # binary values read as text, whose decoding must succeed

    def as_text(expr: str, typ: pa.DataType) -> tuple[str, pa.DataType]:
        if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
            decoded.add(expr)
            return f"TRY(decode({expr}))", pa.string()
        return expr, typ

    def column(name: str) -> tuple[str, pa.DataType]:
        return as_text(f'"{name}"', types[name])

    extractor = _Extractor()
    read: list[str] = []  # top-level columns the non-timestamp fields read
    # Timestamps cast from a date/time column, in the same order as the column (UTC session).
    ordered: dict[str, str] = {}

    def resolve(path: str) -> tuple[str, pa.DataType | None, list[str]]:
        """SQL for the deepest struct field reached, its type, and the path left over."""
        parts = path.split(".")
        if parts[0] not in types:
            return "NULL", None, []
        expr, typ = column(parts[0])
        rest = parts[1:]
        while rest and pa.types.is_struct(typ):
            names = [typ.field(i).name for i in range(typ.num_fields)]
            if rest[0] not in names:
                return "NULL", None, []
            expr, typ = as_text(
                f"struct_extract({expr}, {sql_string(rest[0])})", typ.field(rest[0]).type
            )
            rest = rest[1:]
        return expr, typ, rest

    def value_text(path: str) -> str:
        expr, typ, rest = resolve(path)
        if expr == "NULL":
            return "NULL"
        if path.split(".")[0] not in read:
            read.append(path.split(".")[0])
        if rest:
            if typ is None or not _is_text(typ):
                return "NULL"
            return extractor.text(expr, rest)
        if typ is not None and (pa.types.is_struct(typ) or pa.types.is_list(typ)):
            return f"CAST(to_json({expr}) AS VARCHAR)"
        return f"CAST({expr} AS VARCHAR)"

    def timestamp(path: str) -> str:
        expr, typ, rest = resolve(path)
        if expr == "NULL" or rest or typ is None:
            return "NULL"
        if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            ordered[f"CAST({expr} AS TIMESTAMP)"] = expr
            return f"CAST({expr} AS TIMESTAMP)"
        if pa.types.is_integer(typ) or pa.types.is_floating(typ):
            return _epoch(f"CAST({expr} AS DOUBLE)")
        return _text_timestamp(f"CAST({expr} AS VARCHAR)")

    never_null = _never_null(con, paths, types) if relation is None else (lambda path: False)
    error_root = mapping.error_root
    if grouping is not None:
        wanted = grouping.fields | {"timestamp"}
        mapping = replace(mapping, paths={f: p for f, p in mapping.paths.items() if f in wanted})
    columns = _project(mapping, value_text, timestamp, never_null)
    if error_root and error_root in types:
        root, typ = column(error_root)
        if error_root not in read:
            read.append(error_root)
        if _is_text(typ):
            text = f"CAST({root} AS VARCHAR)"
            present = f"({root} IS NOT NULL AND {text} NOT IN ('', '{{}}', 'null', '\"\"'))"
            # Not JSON at all (extraction gave NULL): the text is the message itself.
            parsed = extractor.containers.get(root)
            if parsed is not None:
                plain = (
                    f"CASE WHEN {parsed[0]} IS NULL THEN CASE WHEN starts_with({text}, '\"') "
                    f"THEN TRY({root} ->> '$') ELSE nullif(trim({text}), '') END END"
                )
                columns["message"] = f"coalesce({columns['message']}, {plain})"
        else:
            present = f'("{error_root}" IS NOT NULL)'
    elif error_root:
        present = "false"
    else:
        present = "NULL"
    valid = " AND ".join(
        f"({raw} IS NULL OR TRY(decode({raw})) IS NOT NULL)" for raw in sorted(decoded)
    )
    valid = valid or "true"
    if grouping is not None:
        return _grouped(columns, present, valid, extractor, grouping, paths, read, ordered)
    projection = ", ".join(f"{expr} AS {col}" for col, expr in columns.items())
    return (
        f"SELECT filename AS _file, false AS _blank, {valid} AS _valid, "
        f"{present} AS _error_present, "
        f"{projection} FROM (SELECT *{extractor.select_list()} FROM {reader})"
    )


def _grouped(
    columns: dict[str, str],
    present: str,
    valid: str,
    extractor: _Extractor,
    grouping: Grouping,
    paths: list[str],
    read: list[str],
    ordered: dict[str, str],
) -> str:
    """The projection over distinct raw rows: the raw columns it reads are the group key."""
    ts = columns.pop("ts")
    first, last = "min(_row_ts)", "max(_row_ts)"
    if ts in ordered and not grouping.ts_keys:  # cast the group's first and last, not each row
        ts = ordered[ts]
        first, last = f"CAST({first} AS TIMESTAMP)", f"CAST({last} AS TIMESTAMP)"
    raw = "".join(f'"{name}", ' for name in read)
    split = "".join(
        f"{key.replace('{ts}', '_row_ts')} AS _t{i}, " for i, key in enumerate(grouping.ts_keys)
    )
    reader = (
        f"read_parquet({path_list(paths)}, union_by_name = true, filename = true, "
        "file_row_number = true)"
    )
    distinct = (
        f"SELECT {raw}{split}count(*) AS _n, {first} AS _first_ts, "
        f"{last} AS _last_ts FROM (SELECT *, {ts} AS _row_ts FROM {reader} "
        f"WHERE {grouping.where}) GROUP BY ALL"
    )
    projection = ", ".join(f"{expr} AS {col}" for col, expr in columns.items())
    return (
        f"SELECT NULL::VARCHAR AS _file, false AS _blank, {valid} AS _valid, "
        f"{present} AS _error_present, {projection}, _first_ts AS ts, _n, _first_ts, _last_ts "
        f"FROM (SELECT *{extractor.select_list()} FROM ({distinct}))"
    )
