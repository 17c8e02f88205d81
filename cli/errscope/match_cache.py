"""Pattern matches for every distinct message of a run, computed once and cached on disk.

The cache is a DuckDB file per pattern list, `<cache dir>/matches/<fingerprint>.duckdb`, holding
(message, matching pattern indexes). The fingerprint hashes the compiled regexes in order, so a
changed pattern list never reads another list's answers; codes, status maps and scopes are not
part of it because they are applied afterwards, in SQL. Delete the folder at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from errscope.matcher import Matcher, cache_dir, pattern_regex
from errscope.registry import Registry

BATCH_ROWS = 50_000
PARALLEL_BATCH_ROWS = 100_000
PARALLEL_MIN = 300_000  # messages to match before worker processes pay for themselves
WORKERS = 2
CACHE_MAX_AGE_DAYS = 30
_SCHEMA = pa.schema([("message", pa.string()), ("matches", pa.list_(pa.int16()))])


_PREPARED: dict[str, Future[Matcher]] = {}
_PREPARING = threading.Lock()


def prepare(registry: Registry) -> None:
    """Start compiling the registry's patterns in a background thread.

    Compiling a large pattern set takes seconds the first time (later runs load it from the
    cache folder); started before loading, it overlaps DuckDB's scan, which releases the GIL
    as Hyperscan's compiler does.
    """
    key = fingerprint(registry)
    with _PREPARING:
        if key not in _PREPARED:
            future: Future[Matcher] = Future()
            _PREPARED[key] = future

            def build() -> None:
                try:
                    future.set_result(Matcher(registry.patterns))
                except BaseException as exc:  # surfaced where the matcher is used
                    future.set_exception(exc)

            threading.Thread(target=build, daemon=True).start()


def prepared_matcher(registry: Registry) -> Matcher:
    """The matcher `prepare` started (starting it now if nobody did)."""
    prepare(registry)
    with _PREPARING:
        future = _PREPARED[fingerprint(registry)]
    matcher = future.result()
    with _PREPARING:  # one use per preparation: a Matcher keeps per-thread scratch space
        _PREPARED.pop(fingerprint(registry), None)
    return matcher


def fingerprint(registry: Registry) -> str:
    """Identifies a pattern list: same regexes in the same order, same matches."""
    digest = hashlib.sha256()
    for pattern in registry.patterns:
        digest.update(pattern_regex(pattern).encode("utf-8") + b"\x00")
    return digest.hexdigest()[:24]


def cache_path(registry: Registry) -> Path:
    return cache_dir() / "matches" / f"{fingerprint(registry)}.duckdb"


def _attach(con: duckdb.DuckDBPyConnection, registry: Registry, alias: str) -> bool:
    """Attach the cache file; False (and no cache) when it cannot be opened or written."""
    path = cache_path(registry)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _prune(path.parent, keep=path)
        _fast_string_storage(con)
        con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {alias}")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {alias}.matches (message VARCHAR, matches SMALLINT[])"
        )
    except (OSError, duckdb.Error):
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DETACH DATABASE IF EXISTS {alias}")
        return False
    return True


def _fast_string_storage(con: duckdb.DuckDBPyConnection) -> None:
    """Store the cache's messages without FSST compression.

    Training FSST on a million new messages took longer than matching them (4.0 s against
    1.2 s to insert 1.3M at 10M rows); the file is about 1.7 times larger, and faster to
    read back. The setting only concerns persistent databases: errscope's tables are in
    memory and uncompressed. DuckDB versions without it compress as before.
    """
    for methods in ("fsst,dict_fsst", "fsst"):
        try:
            con.execute(f"SET disabled_compression_methods = '{methods}'")
            return
        except duckdb.Error:
            continue


def _prune(folder: Path, keep: Path) -> None:
    """Remove cache files unused for a month (another registry version's answers)."""
    limit = time.time() - CACHE_MAX_AGE_DAYS * 86400
    for old in folder.glob("*.duckdb"):
        try:
            if old != keep and old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            pass


def match_table(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    messages_sql: str,
    table: str,
    *,
    use_cache: bool = True,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[str, int, int]:
    """Make `table` hold (message, matches) for every message of `messages_sql`.

    Returns the table to join (the cache's, or `table` in memory), how many distinct messages
    the run has, and how many had to be matched now (the rest came from the cache).
    """
    target = open_matches(con, registry, table, use_cache=use_cache)
    con.execute(f"CREATE OR REPLACE TABLE {table}_wanted AS {messages_sql}")
    total = int(con.execute(f"SELECT count(*) FROM {table}_wanted").fetchall()[0][0])  # type: ignore[index]
    todo_sql = f"SELECT message FROM {table}_wanted ANTI JOIN {target} USING (message)"
    todo = match_into(con, registry, todo_sql, target, table, progress=progress)
    con.execute(f"DROP TABLE {table}_wanted")
    return target, total, todo


def open_matches(
    con: duckdb.DuckDBPyConnection, registry: Registry, table: str, *, use_cache: bool = True
) -> str:
    """The table of (message, matches) to read and fill: the cache file's when it opens,
    else `table`, empty, in memory. `detach(con, table)` lets go of the cache."""
    alias = f"{table}_cache"
    if use_cache and _attach(con, registry, alias):
        return f"{alias}.matches"
    con.execute(f"CREATE OR REPLACE TABLE {table} (message VARCHAR, matches SMALLINT[])")
    return table


def match_into(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    todo_sql: str,
    target: str,
    table: str,
    *,
    progress: Callable[[str, float], None] | None = None,
) -> int:
    """Match the messages of `todo_sql` (distinct, none in `target` yet) into `target`.

    Returns how many were matched. `table` names the scratch tables.
    """
    # Materialised: the stream below must not read the cache table while rows go into it.
    con.execute(f"CREATE OR REPLACE TABLE {table}_todo AS {todo_sql}")
    todo = int(con.execute(f"SELECT count(*) FROM {table}_todo").fetchall()[0][0])  # type: ignore[index]
    if todo:
        done = 0
        for batch in _classified(con, f"SELECT message FROM {table}_todo", registry, todo):
            con.register(f"{table}_batch", batch)
            con.execute(f"INSERT INTO {target} SELECT * FROM {table}_batch")
            con.unregister(f"{table}_batch")
            done += batch.num_rows
            if progress is not None:
                progress("classifying", done / todo)
    con.execute(f"DROP TABLE {table}_todo")
    if progress is not None:
        progress("classifying", 1.0)
    return todo


def _classified(
    con: duckdb.DuckDBPyConnection, messages_sql: str, registry: Registry, todo: int
) -> Iterator[pa.Table]:
    """Each batch of the messages of `messages_sql` with their matches.

    Matching is Python calling Hyperscan per message; threads do not help (the GIL is held
    between scans). Large runs fork worker processes instead, which pays off above
    PARALLEL_MIN messages on two cores.
    """
    if todo < PARALLEL_MIN or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        matcher = prepared_matcher(registry)
        reader = con.cursor()
        try:
            for batch in reader.sql(messages_sql).to_arrow_reader(BATCH_ROWS):
                messages = batch.column(0).to_pylist()
                yield pa.table(
                    {"message": messages, "matches": matcher.matches_many(messages)},
                    schema=_SCHEMA,
                )
        finally:
            reader.close()
        return
    yield from _classified_in_workers(con.sql(messages_sql).to_arrow_table().column(0), registry)


def _classified_in_workers(messages: pa.ChunkedArray, registry: Registry) -> Iterator[pa.Table]:
    """`_classified` in forked worker processes.

    The messages are in this process's memory before the fork, so each worker reads its
    ranges of them from the copy it inherits: only the ranges' bounds go to the workers, and
    only the answers come back (as Arrow list buffers, not Python lists). Sending the
    messages themselves cost 0.8 us per message, a quarter of matching it.
    """
    global _WORKER_MATCHER, _WORKER_MESSAGES
    _WORKER_MATCHER, _WORKER_MESSAGES = prepared_matcher(registry), messages
    try:
        with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
            ranges = [
                (start, min(start + PARALLEL_BATCH_ROWS, len(messages)))
                for start in range(0, len(messages), PARALLEL_BATCH_ROWS)
            ]
            futures = [pool.submit(_match_range, start, stop) for start, stop in ranges]
            for (start, stop), future in zip(ranges, futures, strict=True):
                yield _answers(messages.slice(start, stop - start), future.result())
    finally:
        _WORKER_MATCHER = _WORKER_MESSAGES = None


def _answers(messages: pa.ChunkedArray, answer: tuple[bytes, bytes]) -> pa.Table:
    """The messages and the matches a worker sent back, as a table of _SCHEMA."""
    starts, found = answer
    count = len(starts) // 4 - 1
    offsets = pa.Array.from_buffers(pa.int32(), count + 1, [None, pa.py_buffer(starts)])
    values = pa.Array.from_buffers(pa.int16(), len(found) // 2, [None, pa.py_buffer(found)])
    matches = pa.ListArray.from_arrays(offsets, values)
    return pa.table({"message": messages.cast(pa.string()), "matches": matches}, schema=_SCHEMA)


# Set before forking the workers, which inherit them: the compiled patterns and the messages.
_WORKER_MATCHER: Matcher | None = None
_WORKER_MESSAGES: pa.ChunkedArray | None = None


def _match_range(start: int, stop: int) -> tuple[bytes, bytes]:
    """Matches of the inherited messages [start, stop) as Arrow list buffers: int32 offsets
    and int16 indexes."""
    assert _WORKER_MATCHER is not None and _WORKER_MESSAGES is not None
    starts = array("i", [0])
    found = array("h")
    messages = _WORKER_MESSAGES.slice(start, stop - start).to_pylist()
    for matched in _WORKER_MATCHER.matches_many(messages):
        found.extend(matched)
        starts.append(len(found))
    return starts.tobytes(), found.tobytes()


def detach(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Let go of the cache file (so another process may use it)."""
    with contextlib.suppress(duckdb.Error):
        con.execute(f"DETACH DATABASE IF EXISTS {table}_cache")


def cache_enabled() -> bool:
    """ERRSCOPE_NO_CACHE=1 turns the cache off (as --no-cache does)."""
    return os.environ.get("ERRSCOPE_NO_CACHE", "") in ("", "0")
