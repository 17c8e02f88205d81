"""Malformed rows: JSON Lines lines DuckDB cannot read as text, counted like any other bad row,
and where the first bad rows of an input are (file, line, first characters)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import duckdb

from errscope.errors import InputError
from errscope.inputs import JSONL, InputFile
from errscope.projection import MAX_LINE_BYTES

SKIP_MALFORMED = "malformed row"


@dataclass(frozen=True)
class BadRow:
    """Where a malformed row is: file, 1-based line (or row) number and its first characters."""

    file: str
    line: int
    text: str


# Names of DuckDB's rejects tables: a scan appends to a table of the same name, so each read
# that records unreadable lines gets its own.
_REJECTS = itertools.count()


def rejects_name() -> str:
    """A fresh name for the rejects tables of one JSON Lines read (see projection.json_select)."""
    return f"unreadable_lines_{next(_REJECTS)}"


def drop_rejects(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(f"DROP TABLE IF EXISTS {name}_scans")


def record_rejects(con: duckdb.DuckDBPyConnection, rejects: list[str]) -> None:
    """Count the JSON Lines lines DuckDB could not read as text as malformed rows of `staged`,
    and list them in `unreadable_lines` (file, line, text) for the bad-row report.

    A line that is not valid UTF-8 (a message cut in the middle of a character, a file in
    another encoding) is a malformed row like any other: it stops the run, or with
    --skip-bad-rows is skipped and counted; it is never dropped silently. A line longer than
    MAX_LINE_BYTES stays an input error that names the limit.
    """
    if not rejects:  # no JSON Lines input (and `staged` may be a view)
        return
    con.execute(
        "CREATE OR REPLACE TABLE unreadable_lines "
        "(_file VARCHAR, line BIGINT, text VARCHAR, error_type VARCHAR)"
    )
    for name in rejects:
        try:
            con.execute(
                f"INSERT INTO unreadable_lines SELECT s.file_path, e.line, e.csv_line, "
                f"e.error_type::VARCHAR FROM {name} AS e JOIN {name}_scans AS s "
                "USING (scan_id, file_id)"
            )
        except duckdb.CatalogException:  # no scan ran (nothing to read)
            continue
        finally:
            drop_rejects(con, name)
    too_long = con.execute(
        "SELECT _file, line FROM unreadable_lines WHERE error_type = 'LINE SIZE OVER MAXIMUM' "
        "ORDER BY ALL LIMIT 1"
    ).fetchall()
    if too_long:
        raise InputError(
            f"a line is longer than {MAX_LINE_BYTES >> 20} MiB: {too_long[0][0]}:{too_long[0][1]}",
            hint="split the export or shorten the stored messages",
        )
    con.execute(
        f"INSERT INTO staged BY NAME SELECT _file, false AS _blank, false AS _valid, "
        f"'{SKIP_MALFORMED}' AS _disposition FROM unreadable_lines"
    )


def first_bad_rows(
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
        unreadable = _unreadable_lines(con, path)
        compression = "'gzip'" if info.gzipped else "'none'"
        # The unreadable lines are left out of this read too: the others' numbers are moved
        # past them.
        rows = con.execute(
            "SELECT n, left(line, 80) FROM (SELECT row_number() OVER () AS n, line FROM read_csv("
            "$path, columns = {'line': 'VARCHAR'}, delim = '', quote = '', escape = '', "
            f"header = false, auto_detect = false, compression = {compression}, "
            f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {MAX_LINE_BYTES * 2}, "
            "store_rejects = true, rejects_table = 'bad_row_rejects', "
            "rejects_scan = 'bad_row_rejects_scans')) "
            "WHERE trim(coalesce(line, '')) <> '' AND NOT coalesce(CASE WHEN json_valid(line) "
            "THEN json_type(line) = 'OBJECT' END, false) ORDER BY n LIMIT $limit",
            {"path": path, "limit": limit},
        ).fetchall()
        drop_rejects(con, "bad_row_rejects")
        lines = [(_line_in_file(int(n), sorted(unreadable)), text or "") for n, text in rows]
        merged = sorted([*lines, *unreadable.items()])[: limit - len(found)]
        found.extend(BadRow(path, line, text) for line, text in merged)
        if len(found) >= limit:
            break
    return found


def _unreadable_lines(con: duckdb.DuckDBPyConnection, path: str) -> dict[int, str]:
    """Line number -> first characters of the lines of `path` DuckDB could not read as text."""
    try:
        rows = con.execute(
            "SELECT line, left(text, 80) FROM unreadable_lines WHERE _file = $path",
            {"path": path},
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {int(line): text or "" for line, text in rows}


def _line_in_file(n: int, left_out: list[int]) -> int:
    """The file line of the n-th line read when the lines `left_out` (ascending) were not."""
    line = n
    for skipped in left_out:
        if skipped <= line:
            line += 1
    return line
