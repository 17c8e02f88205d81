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
