"""Loading input files into DuckDB as one `rows` relation of canonical columns, with accounting.

Every input row ends in exactly one disposition: analysed, or skipped for a counted reason, so
rows read = rows analysed + rows skipped. The projection SQL is generated here (not in queries/)
because it depends on each file's schema; identifiers come only from validated mapping paths.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from errscope.errors import InputError, UsageError
from errscope.filters import check_filter
from errscope.inputs import JSON_ARRAY, JSONL, PARQUET, InputFile, discover
from errscope.mapping import CANONICAL_COLUMNS, FIELD_TO_COLUMN, ColumnMapping, build_mapping

ANALYSED = "analysed"
SKIP_BLANK = "blank line"
SKIP_MALFORMED = "malformed row"
SKIP_NO_ERROR = "no error recorded"
SKIP_EMPTY_ERROR = "error without type or message"
SKIP_NO_TIME = "no timestamp (time filter given)"
SKIP_BEFORE = "before --since"
SKIP_AFTER = "at or after --until"
SKIP_WHERE = "excluded by --where"

SOURCE_VALUES = ("byok", "platform")
# Lines up to this size are read; a longer line is an input error that names the limit.
MAX_LINE_BYTES = 64 << 20


@dataclass(frozen=True)
class SourceRule:
    """`when` (a safe filter over the canonical columns) -> source, for rows with no source."""

    when: str
    source: str

    def label(self) -> str:
        return f"{self.when} => {self.source}"


# LobeHub has no key-origin field; provider 'lobehub' marks its own upstream accounts.
DEFAULT_SOURCE_RULES: tuple[SourceRule, ...] = (SourceRule("provider = 'lobehub'", "platform"),)


@dataclass(frozen=True)
class LoadOptions:
    """What to read and how: mapping, time window, filter, source rules, bad-row policy."""

    mapping: ColumnMapping = field(default_factory=build_mapping)
    since: datetime | None = None
    until: datetime | None = None
    where: str | None = None
    source_rules: tuple[SourceRule, ...] = DEFAULT_SOURCE_RULES
    skip_bad_rows: bool = False


@dataclass(frozen=True)
class BadRow:
    """Where a malformed row is: file, 1-based line (or row) number and its first characters."""

    file: str
    line: int
    text: str


@dataclass
class LoadReport:
    """What was read: files, row accounting by disposition, time span and bad-row samples."""

    files: list[InputFile]
    dispositions: dict[str, int]
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    bad_rows: list[BadRow] = field(default_factory=list)
    source_rules: tuple[SourceRule, ...] = ()

    @property
    def rows_read(self) -> int:
        return sum(self.dispositions.values())

    @property
    def rows_analysed(self) -> int:
        return self.dispositions.get(ANALYSED, 0)

    @property
    def skipped(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.dispositions.items()) if k != ANALYSED and v}


# progress(stage, fraction done): stages are 'loading' and 'classifying'.
Progress = Callable[[str, float], None]


MEMORY_LIMIT = "1200MB"


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection in UTC, with a memory cap.

    DuckDB would otherwise take up to 80% of RAM; with the cap it spills large aggregations
    to a temporary folder, so errscope's footprint stays flat as inputs grow.
    ERRSCOPE_MEMORY_LIMIT overrides the cap (e.g. 4GB).
    """
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    limit = os.environ.get("ERRSCOPE_MEMORY_LIMIT", MEMORY_LIMIT)
    spill = os.path.join(tempfile.gettempdir(), f"errscope-spill-{os.getpid()}")
    try:
        con.execute(f"SET memory_limit = {_sql_string(limit)}")
        con.execute(f"SET temp_directory = {_sql_string(spill)}")
    except duckdb.Error as exc:
        raise UsageError(
            f"ERRSCOPE_MEMORY_LIMIT={limit!r} is not a memory size", hint="use e.g. 2GB"
        ) from exc
    return con


def load(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[str],
    options: LoadOptions | None = None,
    progress: Progress | None = None,
    keep_message_for: frozenset[str] | None = None,
) -> LoadReport:
    """Read inputs; create view `rows`, table `groups`; raise InputError on malformed rows.

    `staged` holds every input row with its disposition: a view straight over Parquet files
    (cheap to scan again), a table for JSON (parsed once). `groups` counts analysed rows per
    (stored code, message, status, provider, source): what the re-run and most reports need.
    Messages are kept only for stored codes in `keep_message_for` (None keeps all): a
    pass-through code's message never changes its decision, and dropping it shrinks the groups.
    """
    options = options or LoadOptions()
    files = discover(list(specs))
    selects: list[str] = []
    for fmt, gzipped, group in _group(files):
        paths = [f.path for f in group]
        if fmt == PARQUET:
            selects.append(_parquet_select(con, paths, options.mapping))
        else:
            selects.append(_json_select(paths, fmt, gzipped, options.mapping))
    staged = _staging_sql(" UNION ALL BY NAME ".join(f"({s})" for s in selects), options)
    kind = "VIEW" if all(f.format == PARQUET for f in files) else "TABLE"
    steps = [
        f"CREATE OR REPLACE {kind} staged AS {staged}",
        ROWS_VIEW_SQL,
        "CREATE OR REPLACE VIEW rows_keyed AS SELECT rows.*, CASE WHEN "
        f"{_keep_expr(keep_message_for)} THEN message END AS key_message FROM rows",
        _groups_sql(keep_message_for),
    ]
    _run(con, steps, files, progress)
    report = _account(con, files, options)
    if report.dispositions.get(SKIP_MALFORMED) and not options.skip_bad_rows:
        bad = _first_bad_rows(con, files, limit=1)
        where = f"{bad[0].file}:{bad[0].line}: {bad[0].text!r}" if bad else "in the input"
        count = report.dispositions[SKIP_MALFORMED]
        raise InputError(
            f"malformed row at {where} ({count} malformed in all)",
            hint="fix the export, or pass --skip-bad-rows to count and skip such rows",
        )
    if report.dispositions.get(SKIP_MALFORMED):
        report.bad_rows = _first_bad_rows(con, files, limit=5)
    return report


def _keep_expr(keep_message_for: frozenset[str] | None) -> str:
    if keep_message_for is None:
        return "true"
    if not keep_message_for:
        return "false"
    names = ", ".join(_sql_string(n) for n in sorted(keep_message_for))
    return f"list_contains([{names}], coalesce(type, '(none)'))"


def _groups_sql(keep_message_for: frozenset[str] | None) -> str:
    keep = _keep_expr(keep_message_for)
    return f"""
CREATE OR REPLACE TABLE groups AS
SELECT
  _disposition,
  CASE WHEN _disposition = '{ANALYSED}' THEN type END AS type,
  CASE WHEN _disposition = '{ANALYSED}' AND {keep} THEN message END AS message,
  CASE WHEN _disposition = '{ANALYSED}' THEN status END AS status,
  CASE WHEN _disposition = '{ANALYSED}' THEN provider END AS provider,
  CASE WHEN _disposition = '{ANALYSED}' THEN source END AS source,
  CASE WHEN _disposition = '{ANALYSED}' THEN source_how END AS source_how,
  count(*) AS n,
  min(ts) FILTER (WHERE _disposition = '{ANALYSED}') AS first_ts,
  max(ts) FILTER (WHERE _disposition = '{ANALYSED}') AS last_ts
FROM staged
GROUP BY ALL
"""


def _group(files: list[InputFile]) -> list[tuple[str, bool, list[InputFile]]]:
    groups: dict[tuple[str, bool], list[InputFile]] = {}
    for f in files:
        groups.setdefault((f.format, f.gzipped), []).append(f)
    return [(fmt, gz, group) for (fmt, gz), group in groups.items()]


def _run(
    con: duckdb.DuckDBPyConnection,
    statements: list[str],
    files: list[InputFile],
    progress: Progress | None,
) -> None:
    """Run the loading statements, polling DuckDB's progress from this thread."""
    failure: list[BaseException] = []

    def work() -> None:
        try:
            for statement in statements:
                con.execute(statement)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    if progress is None:
        work()
    else:
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
            try:
                done = con.query_progress()
            except duckdb.Error:
                done = -1
            if done >= 0:
                progress("loading", min(done, 100.0) / 100.0)
        progress("loading", 1.0)
    if failure:
        exc = failure[0]
        if isinstance(exc, duckdb.IOException | duckdb.InvalidInputException):
            raise _input_error(exc, files) from exc
        raise exc


def _input_error(exc: duckdb.Error, files: list[InputFile]) -> InputError:
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


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_path(parts: Sequence[str]) -> str:
    return _sql_string("$" + "".join(f'."{p}"' for p in parts))


def _path_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_string(p) for p in paths) + "]"


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


def _json_select(paths: list[str], fmt: str, gzipped: bool, mapping: ColumnMapping) -> str:
    """Rows of JSON Lines or JSON-array files, one JSON document per row, projected."""
    compression = "'gzip'" if gzipped else "'none'"
    if fmt == JSONL:
        source = (
            f"SELECT filename AS _file, line AS _text FROM read_csv({_path_list(paths)}, "
            "columns = {'line': 'VARCHAR'}, delim = '', quote = '', escape = '', header = false, "
            f"auto_detect = false, filename = true, compression = {compression}, "
            f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {MAX_LINE_BYTES * 2})"
        )
    else:
        assert fmt == JSON_ARRAY
        source = (
            f"SELECT filename AS _file, json::VARCHAR AS _text FROM read_json_objects("
            f"{_path_list(paths)}, "
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
    for fld, col in FIELD_TO_COLUMN.items():
        paths = mapping.paths.get(fld, ())
        for index, path in enumerate(paths):
            if never_null(path):
                paths = paths[: index + 1]
                break
        if fld == "status":
            exprs = [f"TRY_CAST(TRY_CAST({value_text(p)} AS DOUBLE) AS INTEGER)" for p in paths]
            kind = "INTEGER"
        elif fld == "timestamp":
            exprs = [value_ts(p) for p in paths]
            kind = "TIMESTAMP"
        elif fld == "message":
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
    return (
        f"TRY(make_timestamp(CAST(CASE WHEN abs({number}) > 1e11 THEN {number} * 1000 "
        f"ELSE {number} * 1000000 END AS BIGINT)))"
    )


def _json_timestamp(value: str) -> str:
    return (
        f"CASE json_type({value}) "
        f"WHEN 'VARCHAR' THEN CAST(TRY_CAST({value} ->> '$' AS TIMESTAMPTZ) AS TIMESTAMP) "
        f"WHEN 'BIGINT' THEN {_epoch(f'CAST({value} AS DOUBLE)')} "
        f"WHEN 'UBIGINT' THEN {_epoch(f'CAST({value} AS DOUBLE)')} "
        f"WHEN 'DOUBLE' THEN {_epoch(f'CAST({value} AS DOUBLE)')} END"
    )


def _never_null(
    con: duckdb.DuckDBPyConnection, paths: list[str], types: dict[str, object]
) -> Callable[[str], bool]:
    """Top-level columns that every file's statistics say hold no NULL, and for text no value
    that starts with a space or is empty (which the projection would turn into NULL)."""
    try:
        stats = con.execute(
            "SELECT path_in_schema, bool_and(stats_null_count = 0 AND (stats_min_value IS NULL "
            "OR stats_min_value >= '!')) AS full, "
            "count(DISTINCT file_name) AS files FROM parquet_metadata("
            f"{_path_list(paths)}) GROUP BY ALL"
        ).fetchall()
    except duckdb.Error:
        return lambda path: False
    full = {name for name, ok, files in stats if ok and files == len(paths)}

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
    """A timestamp from text: ISO 8601 (any offset), or epoch seconds/milliseconds digits."""
    return (
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{9,13}}') "
        f"THEN {_epoch(f'CAST({text} AS DOUBLE)')} "
        f"ELSE CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) END"
    )


def _parquet_select(
    con: duckdb.DuckDBPyConnection, paths: list[str], mapping: ColumnMapping
) -> str:
    """Rows of Parquet files, with struct fields read directly and JSON strings parsed."""
    import pyarrow as pa

    reader = f"read_parquet({_path_list(paths)}, union_by_name = true, filename = true)"
    try:
        schema = con.sql(f"SELECT * FROM {reader} LIMIT 0").to_arrow_table()
    except duckdb.Error as exc:
        raise _input_error(exc, [InputFile(p, PARQUET, False) for p in paths]) from exc
    types = {f.name: f.type for f in schema.schema}
    extractor = _Extractor()

    def resolve(path: str) -> tuple[str, pa.DataType | None, list[str]]:
        """SQL for the deepest struct field reached, its type, and the path left over."""
        parts = path.split(".")
        if parts[0] not in types:
            return "NULL", None, []
        expr, typ = f'"{parts[0]}"', types[parts[0]]
        rest = parts[1:]
        while rest and pa.types.is_struct(typ):
            names = [typ.field(i).name for i in range(typ.num_fields)]
            if rest[0] not in names:
                return "NULL", None, []
            typ = typ.field(rest[0]).type
            expr = f"struct_extract({expr}, {_sql_string(rest[0])})"
            rest = rest[1:]
        return expr, typ, rest

    def value_text(path: str) -> str:
        expr, typ, rest = resolve(path)
        if expr == "NULL":
            return "NULL"
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
            return f"CAST({expr} AS TIMESTAMP)"
        if pa.types.is_integer(typ) or pa.types.is_floating(typ):
            return _epoch(f"CAST({expr} AS DOUBLE)")
        return _text_timestamp(f"CAST({expr} AS VARCHAR)")

    columns = _project(mapping, value_text, timestamp, _never_null(con, paths, types))
    error_root = mapping.error_root
    if error_root and error_root in types:
        typ = types[error_root]
        if _is_text(typ):
            column = f'"{error_root}"'
            text = f"CAST({column} AS VARCHAR)"
            present = f"({column} IS NOT NULL AND {text} NOT IN ('', '{{}}', 'null', '\"\"'))"
            # Not JSON at all (extraction gave NULL): the text is the message itself.
            parsed = extractor.containers.get(column)
            if parsed is not None:
                plain = (
                    f"CASE WHEN {parsed[0]} IS NULL THEN CASE WHEN starts_with({text}, '\"') "
                    f"THEN TRY({column} ->> '$') ELSE nullif(trim({text}), '') END END"
                )
                columns["message"] = f"coalesce({columns['message']}, {plain})"
        else:
            present = f'("{error_root}" IS NOT NULL)'
    elif error_root:
        present = "false"
    else:
        present = "NULL"
    projection = ", ".join(f"{expr} AS {col}" for col, expr in columns.items())
    return (
        f"SELECT filename AS _file, false AS _blank, true AS _valid, {present} AS _error_present, "
        f"{projection} FROM (SELECT *{extractor.select_list()} FROM {reader})"
    )


def _timestamp(value: datetime | None) -> str:
    return "NULL::TIMESTAMP" if value is None else f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _staging_sql(staged: str, options: LoadOptions) -> str:
    columns = tuple(c for c in CANONICAL_COLUMNS)
    rules = []
    for number, rule in enumerate(options.source_rules, start=1):
        condition = check_filter(rule.when, columns, what=f"source rule {number}")
        label = _sql_string(f"rule {number}: {rule.label()}")
        rules.append((condition, _sql_string(rule.source), label))
    source_case = (
        "CASE WHEN _source_raw IS NOT NULL THEN _source_raw "
        + "".join(f"WHEN coalesce({cond}, false) THEN {src} " for cond, src, _ in rules)
        + "ELSE 'unknown' END"
    )
    how_case = (
        "CASE WHEN _source_raw IS NOT NULL THEN 'source column' "
        + "".join(f"WHEN coalesce({cond}, false) THEN {label} " for cond, _, label in rules)
        + "ELSE 'no source column and no rule' END"
    )
    where = check_filter(options.where, columns) if options.where is not None else "true"
    since, until = _timestamp(options.since), _timestamp(options.until)
    others = ", ".join(c for c in CANONICAL_COLUMNS if c != "source")
    return f"""
WITH projected AS ({staged}),
sourced AS (
  SELECT _file, _blank, _valid, _error_present, {others},
         lower(source) AS _source_raw
  FROM projected
),
derived AS (
  SELECT * EXCLUDE (_source_raw), {source_case} AS source, {how_case} AS source_how
  FROM sourced
)
SELECT *, CASE
  WHEN _blank THEN '{SKIP_BLANK}'
  WHEN NOT _valid THEN '{SKIP_MALFORMED}'
  WHEN NOT coalesce(_error_present, type IS NOT NULL OR message IS NOT NULL) THEN '{SKIP_NO_ERROR}'
  WHEN type IS NULL AND message IS NULL THEN '{SKIP_EMPTY_ERROR}'
  WHEN ({since} IS NOT NULL OR {until} IS NOT NULL) AND ts IS NULL
    THEN '{SKIP_NO_TIME}'
  WHEN ts < {since} THEN '{SKIP_BEFORE}'
  WHEN ts >= {until} THEN '{SKIP_AFTER}'
  WHEN NOT coalesce({where}, false) THEN '{SKIP_WHERE}'
  ELSE '{ANALYSED}' END AS _disposition
FROM derived
"""


ROWS_VIEW_SQL = f"""
CREATE OR REPLACE VIEW rows AS
SELECT {", ".join(CANONICAL_COLUMNS)}, source_how, _file FROM staged
WHERE _disposition = '{ANALYSED}'
"""


def _account(
    con: duckdb.DuckDBPyConnection, files: list[InputFile], options: LoadOptions
) -> LoadReport:
    counts = dict(
        con.execute(
            "SELECT _disposition, sum(n)::BIGINT FROM groups GROUP BY ALL ORDER BY 1"
        ).fetchall()
    )
    first, last = con.execute("SELECT min(first_ts), max(last_ts) FROM groups").fetchall()[0] or (
        None,
        None,
    )
    return LoadReport(
        files=files,
        dispositions={k: int(v) for k, v in counts.items()},
        first_ts=first,
        last_ts=last,
        source_rules=options.source_rules,
    )


def _first_bad_rows(
    con: duckdb.DuckDBPyConnection, files: list[InputFile], limit: int
) -> list[BadRow]:
    """Line numbers of the first malformed rows, found by re-reading only the offending files."""
    offending = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT _file FROM staged WHERE _disposition = '{SKIP_MALFORMED}' ORDER BY 1"
        ).fetchall()
    ]
    by_path = {f.path: f for f in files}
    found: list[BadRow] = []
    for path in offending:
        info = by_path.get(path)
        if info is None or info.format != JSONL:
            continue
        compression = "'gzip'" if info.gzipped else "'none'"
        rows = con.execute(
            "SELECT n, left(line, 80) FROM (SELECT row_number() OVER () AS n, line FROM read_csv("
            "$path, columns = {'line': 'VARCHAR'}, delim = '', quote = '', escape = '', "
            f"header = false, auto_detect = false, compression = {compression}, "
            f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {MAX_LINE_BYTES * 2})) "
            "WHERE trim(coalesce(line, '')) <> '' AND NOT coalesce(CASE WHEN json_valid(line) "
            "THEN json_type(line) = 'OBJECT' END, false) ORDER BY n LIMIT $limit",
            {"path": path, "limit": limit - len(found)},
        ).fetchall()
        found.extend(BadRow(path, int(n), text or "") for n, text in rows)
        if len(found) >= limit:
            break
    return found
