"""Matches for distinct messages: the same in one process, in worker processes, and from cache."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from errscope import match_cache
from errscope.matcher import Matcher
from errscope.registry import load_registry

MESSAGES = [
    "429 You exceeded your current quota", "socket hang up", "connect ECONNREFUSED 10.0.0.1:443",
    "<html><title>502 Bad Gateway</title></html>", "nothing to see", "当前分组上游负载已饱和",
] * 7


REGISTRY = load_registry()


def _run(con: duckdb.DuckDBPyConnection, use_cache: bool) -> dict[str, list[int]]:
    con.register("m", pa.table({"message": MESSAGES}))
    table, total, _ = match_cache.match_table(
        con, REGISTRY, "SELECT DISTINCT message FROM m", "mt", use_cache=use_cache
    )
    rows = con.execute(f"SELECT message, matches FROM {table}").fetchall()
    match_cache.detach(con, "mt")
    assert total == len(set(MESSAGES))
    return {m: list(x) for m, x in rows if m in set(MESSAGES)}


def test_worker_processes_give_the_same_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _run(duckdb.connect(), use_cache=False)
    monkeypatch.setattr(match_cache, "PARALLEL_MIN", 0)
    monkeypatch.setattr(match_cache, "PARALLEL_BATCH_ROWS", 3)  # several ranges per worker
    parallel = _run(duckdb.connect(), use_cache=False)
    assert parallel == expected
    matcher = Matcher(REGISTRY.patterns)
    assert expected == {m: matcher.matches(m) for m in set(MESSAGES)}


def test_cache_answers_the_second_time(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERRSCOPE_CACHE_DIR", str(tmp_path))
    first = _run(duckdb.connect(), use_cache=True)
    con = duckdb.connect()
    con.register("m", pa.table({"message": MESSAGES}))
    _, _, matched_now = match_cache.match_table(
        con, REGISTRY, "SELECT DISTINCT message FROM m", "mt", use_cache=True
    )
    assert matched_now == 0
    match_cache.detach(con, "mt")
    assert _run(duckdb.connect(), use_cache=True) == first


def test_rerun_counts_the_same_distinct_messages_cold_partly_cached_and_warm(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # A cold run takes the count from what it matched; a warm one counts cached row ids.
    from errscope.loader import connect, load
    from errscope.rerun import message_keys, rerun

    monkeypatch.setenv("ERRSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ERRSCOPE_NO_CACHE", raising=False)
    registry = load_registry("default")

    def stats(path: str) -> tuple[int, int, int]:
        con = connect()
        load(con, [path], keep_message_for=message_keys(registry))
        found = rerun(con, registry, row_level=False)
        con.close()
        return found.distinct_messages, found.messages_matched, found.distinct_tuples

    sample = "fixtures/sample-dump.parquet"
    part = str(tmp_path / "part.parquet")
    duckdb.execute(f"COPY (SELECT * FROM '{sample}' LIMIT 5000) TO '{part}' (FORMAT parquet)")
    cold_part = stats(part)
    partly = stats(sample)  # the first 5,000 rows' messages are cached
    warm = stats(sample)
    assert cold_part[0] == cold_part[1] > 0
    assert partly[0] == warm[0] and partly[2] == warm[2]
    assert 0 < partly[1] < partly[0] and warm[1] == 0
    monkeypatch.setenv("ERRSCOPE_NO_CACHE", "1")
    assert stats(sample) == (warm[0], warm[0], warm[2])  # cold again: every message matched
