"""Loading input files into DuckDB as one `rows` relation of canonical columns, with accounting.

Every input row ends in exactly one disposition: analysed, or skipped for a counted reason, so
rows read = rows analysed + rows skipped. The projection SQL is generated here (not in queries/)
because it depends on each file's schema; identifiers come only from validated mapping paths.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb

from errscope import load_cache
from errscope.bad_rows import (
    SKIP_MALFORMED,
    BadRow,
    drop_rejects,
    first_bad_rows,
    record_rejects,
    rejects_name,
)
from errscope.errors import InputError, UsageError
from errscope.filters import check_filter, filter_columns
from errscope.inputs import JSONL, PARQUET, POSTGRES, InputFile, discover
from errscope.mapping import (
    CANONICAL_COLUMNS,
    FIELD_TO_COLUMN,
    ColumnMapping,
    build_mapping,
)
from errscope.profiles import DETECT_SAMPLE_ROWS, LOBEHUB, Profile, all_profiles
from errscope.projection import (
    Grouping,
    input_error,
    json_select,
    parquet_select,
    path_list,
    sql_string,
)

ANALYSED = "analysed"
SKIP_BLANK = "blank line"
SKIP_NO_ERROR = "no error recorded"
SKIP_EMPTY_ERROR = "error without type or message"
SKIP_NO_TIME = "no timestamp (time filter given)"
SKIP_BEFORE = "before --since"
SKIP_AFTER = "at or after --until"
SKIP_WHERE = "excluded by --where"

SOURCE_VALUES = ("byok", "platform")


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
    table: str | None = None  # for postgresql:// inputs; None reads agent_operations
    since: datetime | None = None
    until: datetime | None = None
    where: str | None = None
    source_rules: tuple[SourceRule, ...] = DEFAULT_SOURCE_RULES
    skip_bad_rows: bool = False
    # None: recognise the profile from the input. `mapping` is the chosen profile's mapping.
    profile: Profile | None = None
    profile_detected: bool = False


@dataclass
class LoadReport:
    """What was read: files, row accounting by disposition, time span and bad-row samples."""

    files: list[InputFile]
    dispositions: dict[str, int]
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    bad_rows: list[BadRow] = field(default_factory=list)
    source_rules: tuple[SourceRule, ...] = ()
    profile: str = LOBEHUB
    profile_detected: bool = False
    full_rerun: bool = False  # the profile re-classifies every row
    rows_cached: int = 0  # rows whose counted groups came from the load cache

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
    # DuckDB 2.0's common-subplan optimizer merges two scans of a view that joins one table
    # twice (classified joins `codes` for the stored and the re-run code) and returns the
    # stored side's values for both: wrong counts. tests/test_loader.py pins the case.
    with contextlib.suppress(duckdb.Error):  # a DuckDB without that optimizer has no such bug
        con.execute("SET disabled_optimizers = 'common_subplan'")
    # Every report orders its rows itself; keeping the scan order in the tables errscope
    # builds (groups, decisions) only costs time and memory.
    con.execute("SET preserve_insertion_order = false")
    limit = os.environ.get("ERRSCOPE_MEMORY_LIMIT", MEMORY_LIMIT)
    spill = os.path.join(tempfile.gettempdir(), f"errscope-spill-{os.getpid()}")
    try:
        con.execute(f"SET memory_limit = {sql_string(limit)}")
        con.execute(f"SET temp_directory = {sql_string(spill)}")
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
    profile, detected = options.profile, options.profile_detected
    if profile is None:
        profile, detected = detect_profile(con, files), True
    mapping = options.mapping
    if not profile.is_mapping_only and mapping.kinds is None:
        mapping = profile.mapping()
    if profile.full_rerun:
        keep_message_for = None  # every row is re-classified, so every message is needed
    if options.table is not None and all(f.format != POSTGRES for f in files):
        raise UsageError("--table applies to postgresql:// inputs only")
    selects: list[str] = []
    rejects: list[str] = []  # DuckDB's tables of the JSON Lines lines it could not read
    for fmt, gzipped, group in _group(files):
        if fmt == POSTGRES:
            from errscope.postgres import fetch

            fetched = replace(options, mapping=mapping)
            selects.extend(
                _profiled(fetch(con, f, fetched, progress).select, profile) for f in group
            )
        else:
            name = rejects_name() if fmt == JSONL else None
            rejects += [name] if name else []
            selects.append(
                _profiled(_select(con, fmt, gzipped, group, mapping, rejects=name), profile)
            )
    staged = _staging_sql(
        " UNION ALL BY NAME ".join(f"({s})" for s in selects), options, profile.extras
    )
    # Parquet files and tables fetched from Postgres are columnar: a view scans them again cheaply.
    kind = "VIEW" if all(f.format in (PARQUET, POSTGRES) for f in files) else "TABLE"
    steps = [
        f"CREATE OR REPLACE {kind} staged AS {staged}",
        _rows_view_sql(profile.extras),
        "CREATE OR REPLACE TABLE load_settings AS SELECT "
        f"{sql_string(profile.name)} AS profile, {profile.full_rerun} AS full_rerun",
        "CREATE OR REPLACE VIEW rows_keyed AS SELECT rows.*, CASE WHEN "
        f"{_keep_expr(keep_message_for)} THEN message END AS key_message FROM rows",
    ]
    cached_rows = 0
    if profile.is_mapping_only and all(f.format == PARQUET for f in files):
        _run(con, steps, files, progress)
        cached_rows = _load_groups(
            con, files, replace(options, mapping=mapping), keep_message_for, progress
        )
    else:
        _run(con, steps, files, progress)
        record_rejects(con, rejects)
        _run(con, [_groups_sql(keep_message_for)], files, None)
    report = _account(con, files, options)
    report.rows_cached = cached_rows
    report.profile, report.profile_detected = profile.name, detected
    report.full_rerun = profile.full_rerun
    if report.dispositions.get(SKIP_MALFORMED) and not options.skip_bad_rows:
        bad = first_bad_rows(con, files, limit=1)
        where = f"at {bad[0].file}:{bad[0].line}: {bad[0].text!r}" if bad else "in the input"
        count = report.dispositions[SKIP_MALFORMED]
        raise InputError(
            f"malformed row {where} ({count} malformed in all)",
            hint="fix the export, or pass --skip-bad-rows to count and skip such rows",
        )
    if report.dispositions.get(SKIP_MALFORMED):
        report.bad_rows = first_bad_rows(con, files, limit=5)
    return report


def _select(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    gzipped: bool,
    group: list[InputFile],
    mapping: ColumnMapping,
    rejects: str | None = None,
) -> str:
    paths = [f.path for f in group]
    if fmt == PARQUET:
        return parquet_select(con, paths, mapping)
    return json_select(paths, fmt, gzipped, mapping, rejects)


def _profiled(select: str, profile: Profile) -> str:
    if profile.is_mapping_only:
        return f"SELECT *, NULL::VARCHAR AS _problem FROM ({select})"
    return profile.wrap(select)


def recognise_profile(specs: Sequence[str]) -> Profile:
    """The profile of the inputs, recognised from their first rows (see detect_profile)."""
    con = connect()
    try:
        return detect_profile(con, discover(list(specs)))
    finally:
        con.close()


def detect_profile(con: duckdb.DuckDBPyConnection, files: list[InputFile]) -> Profile:
    """The one profile whose `detect` condition holds on the first rows of the first files.

    No match keeps `lobehub` (its errors say what is missing); two matches are a usage error,
    since guessing could misread every row.
    """
    matched: list[Profile] = []
    for fmt, gzipped, group in _group(files):
        if fmt == POSTGRES:
            continue  # a database table is LobeHub's agent_operations (or --map says otherwise)
        for profile in all_profiles():
            if profile in matched:
                continue
            mapping = profile.mapping() if not profile.is_mapping_only else build_mapping()
            rejects = rejects_name()  # unreadable lines are left out of the sample
            sample = (
                f"SELECT * FROM ({_select(con, fmt, gzipped, group[:1], mapping, rejects)}) "
                f"LIMIT {DETECT_SAMPLE_ROWS}"
            )
            try:
                hits = con.execute(
                    f"SELECT count(*) FROM ({sample}) WHERE coalesce({profile.detect}, false)"
                ).fetchall()[0][0]
            except (duckdb.IOException, duckdb.InvalidInputException) as exc:
                raise input_error(exc, group[:1]) from exc
            finally:
                drop_rejects(con, rejects)
            if hits:
                matched.append(profile)
    if len(matched) > 1:
        names = " and ".join(p.name for p in matched)
        raise UsageError(
            f"the input looks like both {names}",
            hint="pass --profile NAME (see errscope profiles)",
        )
    return matched[0] if matched else all_profiles()[0]


# Columns every analysis needs from a row; filters and source rules may read more.
_GROUP_COLUMNS = frozenset({"type", "message", "status", "provider", "source"})
# Rows read per statement when grouping Parquet rows: the distinct raw rows of one part are
# held in memory at once (about a third of the rows in LobeHub exports).
PART_ROWS = 2_000_000


def _load_groups(
    con: duckdb.DuckDBPyConnection,
    files: list[InputFile],
    options: LoadOptions,
    keep_message_for: frozenset[str] | None,
    progress: Progress | None,
) -> int:
    """`groups` from Parquet files, read as groups of alike rows, one part at a time.

    Rows that agree on every raw column the needed columns come from (the error document,
    the provider, ...) give the same columns, source and disposition, so these are computed
    once per distinct raw row: JSON is parsed about a third as often. Time filters split
    groups where they would split rows; a filter or source rule that reads the timestamp
    keeps it in the key. Each part's groups are counted apart, then summed. A part whose
    files are unchanged since an earlier run comes from the load cache (errscope.load_cache).
    Returns the rows whose groups came from the cache.
    """
    columns = set(_GROUP_COLUMNS)
    for expression in [options.where, *(rule.when for rule in options.source_rules)]:
        if expression is not None:
            columns |= filter_columns(expression)
    if "ts" in columns:
        ts_keys: tuple[str, ...] = ("{ts}",)
    else:
        since, until = options.since, options.until
        ts_keys = tuple(
            key
            for key, given in (
                ("{ts} IS NULL", since is not None or until is not None),
                (f"{{ts}} < {_timestamp(since)}", since is not None),
                (f"{{ts}} >= {_timestamp(until)}", until is not None),
            )
            if given
        )
    fields = frozenset(f for f, c in FIELD_TO_COLUMN.items() if c in columns)
    paths = [f.path for f in files]
    parts = _parts(con, paths)
    caching = load_cache.enabled()
    cached_rows = 0
    for number, (part_paths, where) in enumerate(parts):
        grouping = Grouping(fields=fields, ts_keys=ts_keys, where=where)
        select = parquet_select(con, part_paths, options.mapping, grouping=grouping)
        staged = _staging_sql(f"(SELECT *, NULL::VARCHAR AS _problem FROM ({select}))", options)
        body = _groups_sql(keep_message_for, f"({staged})", weighted=True, into="")
        target = "groups" if len(parts) == 1 else "group_parts"
        into = f"INSERT INTO {target} BY NAME" if number else f"CREATE OR REPLACE TABLE {target} AS"
        key = load_cache.part_key(body, part_paths) if caching else None
        found = load_cache.lookup(key) if key is not None else None
        if found is not None:
            try:
                con.execute(f"{into} SELECT * FROM read_parquet({sql_string(str(found))})")
                cached_rows += int(
                    con.execute(
                        f"SELECT coalesce(sum(n), 0) FROM read_parquet({sql_string(str(found))})"
                    ).fetchall()[0][0]  # type: ignore[index]
                )
                continue
            except duckdb.Error:  # unreadable entry: compute the part again
                load_cache.forget(found)
        part_progress = _part_progress(progress, number, len(parts))
        if key is None:
            _run(con, [into + body], files, part_progress)
            continue
        _run(con, ["CREATE OR REPLACE TABLE group_part AS" + body], files, part_progress)
        load_cache.store(con, "group_part", key)
        con.execute(f"{into} SELECT * FROM group_part")
        con.execute("DROP TABLE group_part")
    if len(parts) > 1:
        _run(con, [_SUM_PARTS_SQL, "DROP TABLE group_parts"], files, None)
    counted = con.execute("SELECT coalesce(sum(n), 0) FROM groups").fetchall()[0][0]  # type: ignore[index]
    if counted != _row_count(con, paths):  # never expected: count row by row instead
        _run(con, [_groups_sql(keep_message_for)], files, progress)
        return 0
    return cached_rows


_SUM_PARTS_SQL = """
CREATE OR REPLACE TABLE groups AS
SELECT _disposition, type, message, status, provider, source, source_how,
  sum(n)::BIGINT AS n, min(first_ts) AS first_ts, max(last_ts) AS last_ts
FROM group_parts
GROUP BY ALL
"""


def _parts(con: duckdb.DuckDBPyConnection, paths: list[str]) -> list[tuple[list[str], str]]:
    """The files of each part, and the filter on their rows, in parts of about PART_ROWS rows.

    A file of at least PART_ROWS / 8 rows is a part of its own, so its groups can be cached
    and reused whichever files it is read with (a folder of daily exports, a week later);
    smaller files go together. A large file splits at row-group boundaries, which DuckDB
    skips to from the file's metadata; its last range is open-ended, so every row falls in
    exactly one part whatever the metadata says.
    """
    sizes = con.execute(
        "SELECT file_name, row_group_num_rows FROM (SELECT DISTINCT file_name, row_group_id, "
        f"row_group_num_rows FROM parquet_metadata({path_list(paths)})) ORDER BY row_group_id"
    ).fetchall()
    row_groups: list[list[int]] = [[] for _ in paths]
    for name, rows in sizes:
        if name in paths:
            row_groups[paths.index(name)].append(int(rows))
    if sum(map(sum, row_groups)) <= PART_ROWS:
        return [(paths, "true")]
    parts: list[tuple[list[str], str]] = []
    small: list[str] = []
    small_rows = 0
    for path, groups in zip(paths, row_groups, strict=True):
        total = sum(groups)
        if total < PART_ROWS // 8:
            if small and small_rows + total > PART_ROWS:
                parts.append((small, "true"))
                small, small_rows = [], 0
            small.append(path)
            small_rows += total
            continue
        start = end = 0
        for rows in groups:
            end += rows
            if end - start >= PART_ROWS and end < total:
                parts.append(([path], f"file_row_number >= {start} AND file_row_number < {end}"))
                start = end
        parts.append(([path], f"file_row_number >= {start}" if start else "true"))
    if small:
        parts.append((small, "true"))
    return parts


def _row_count(con: duckdb.DuckDBPyConnection, paths: list[str]) -> int:
    rows = con.execute(
        f"SELECT sum(num_rows) FROM parquet_file_metadata({path_list(paths)})"
    ).fetchall()[0][0]  # type: ignore[index]
    return int(rows or 0)


def _part_progress(progress: Progress | None, number: int, parts: int) -> Progress | None:
    if progress is None:
        return None
    return lambda stage, done: progress(stage, (number + done) / parts)


def _keep_expr(keep_message_for: frozenset[str] | None) -> str:
    if keep_message_for is None:
        return "true"
    if not keep_message_for:
        return "false"
    names = ", ".join(sql_string(n) for n in sorted(keep_message_for))
    return f"list_contains([{names}], coalesce(type, '(none)'))"


def _groups_sql(
    keep_message_for: frozenset[str] | None,
    relation: str = "staged",
    weighted: bool = False,
    into: str = "CREATE OR REPLACE TABLE groups AS",
) -> str:
    """`groups` from staged rows, or (`weighted`) from staged groups with `_n` rows each."""
    keep = _keep_expr(keep_message_for)
    n, first, last = ("sum(_n)", "_first_ts", "_last_ts") if weighted else ("count(*)", "ts", "ts")
    return f"""
{into}
SELECT
  _disposition,
  CASE WHEN _disposition = '{ANALYSED}' THEN type END AS type,
  CASE WHEN _disposition = '{ANALYSED}' AND {keep} THEN message END AS message,
  CASE WHEN _disposition = '{ANALYSED}' THEN status END AS status,
  CASE WHEN _disposition = '{ANALYSED}' THEN provider END AS provider,
  CASE WHEN _disposition = '{ANALYSED}' THEN source END AS source,
  CASE WHEN _disposition = '{ANALYSED}' THEN source_how END AS source_how,
  {n}::BIGINT AS n,
  min({first}) FILTER (WHERE _disposition = '{ANALYSED}') AS first_ts,
  max({last}) FILTER (WHERE _disposition = '{ANALYSED}') AS last_ts
FROM {relation}
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
            raise input_error(exc, files) from exc
        raise exc


def _timestamp(value: datetime | None) -> str:
    return "NULL::TIMESTAMP" if value is None else f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _staging_sql(staged: str, options: LoadOptions, extras: tuple[str, ...] = ()) -> str:
    columns = tuple(c for c in CANONICAL_COLUMNS)
    rules = []
    for number, rule in enumerate(options.source_rules, start=1):
        condition = check_filter(rule.when, columns, what=f"source rule {number}")
        label = sql_string(f"rule {number}: {rule.label()}")
        rules.append((condition, sql_string(rule.source), label))
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
    return f"""
WITH projected AS ({staged}),
sourced AS (
  SELECT * EXCLUDE (source), lower(source) AS _source_raw FROM projected
),
derived AS (
  SELECT * EXCLUDE (_source_raw), {source_case} AS source, {how_case} AS source_how
  FROM sourced
)
SELECT *, CASE
  WHEN _blank THEN '{SKIP_BLANK}'
  WHEN NOT _valid THEN '{SKIP_MALFORMED}'
  WHEN _problem IS NOT NULL THEN _problem
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


def _rows_view_sql(extras: tuple[str, ...] = ()) -> str:
    columns = ", ".join((*CANONICAL_COLUMNS, "source_how", "_file", *extras))
    return (
        f"CREATE OR REPLACE VIEW rows AS SELECT {columns} FROM staged "
        f"WHERE _disposition = '{ANALYSED}'"
    )


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
