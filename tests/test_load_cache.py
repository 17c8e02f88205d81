"""The load cache: a re-run over unchanged Parquet files counts them from the cache and answers
exactly as reading them again; a changed file, mapping, filter or kept-code list never reuses an
old entry; a broken or unwritable cache costs time, never correctness."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import ROOT
from errscope import loader
from errscope.analysis import analyze
from errscope.loader import LoadOptions
from errscope.registry import load_registry

SAMPLE = ROOT / "fixtures" / "sample-dump.parquet"


def _split(folder: Path, files: int) -> list[str]:
    """The sample dump as `files` Parquet files (rows dealt by id), row groups of 500 rows."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in range(files):
        target = folder / f"day-{part}.parquet"
        duckdb.execute(
            f"COPY (SELECT * FROM read_parquet('{SAMPLE}') WHERE hash(id) % {files} = {part} "
            f"ORDER BY id) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 500)"
        )
        paths.append(str(target))
    return paths


def _answer(report: Any) -> list[Any]:
    """Everything a report says except timings and cache notes."""
    meta = {k: v for k, v in report.meta.items() if k != "work"}  # timings, cache hits
    return [meta, report.headline, [(s.name, s.rows) for s in report.sections]]


def _run(specs: list[str], options: LoadOptions | None = None, registry: str = "default") -> Any:
    return analyze(specs, load_registry(registry), options)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ERRSCOPE_CACHE_DIR", str(folder))
    monkeypatch.delenv("ERRSCOPE_NO_CACHE", raising=False)
    monkeypatch.setattr(loader, "PART_ROWS", 4_000)  # several parts per file, as at scale
    return folder / "groups"


def _uncached(specs: list[str], monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    with monkeypatch.context() as m:
        m.setenv("ERRSCOPE_NO_CACHE", "1")
        return _run(specs, **kw)


def test_second_run_is_counted_from_the_cache_and_answers_the_same(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _split(tmp_path / "in", 1)
    first = _run(paths)
    entries = sorted(cache.glob("*.parquet"))
    assert len(entries) >= 3  # one per part
    assert first.meta["inputs"]["rows_read"] > 0
    second = _run(paths)
    assert _answer(second) == _answer(first) == _answer(_uncached(paths, monkeypatch))
    assert any("20000 of 20000 rows counted from the load cache" in n for n in second.notes)
    assert not any("load cache" in n for n in first.notes)
    assert sorted(cache.glob("*.parquet")) == entries


def test_no_cache_writes_nothing(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _split(tmp_path / "in", 1)
    _uncached(paths, monkeypatch)
    assert not cache.exists() or not list(cache.iterdir())


def test_a_rewritten_file_is_read_again(tmp_path: Path, cache: Path) -> None:
    paths = _split(tmp_path / "in", 1)
    before = _run(paths)
    stat = os.stat(paths[0])
    # Same path, same size class, same modification time: only some rows differ.
    duckdb.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN hash(id) % 3 = 0 THEN NULL ELSE error END AS error) "
        f"FROM read_parquet('{paths[0]}') ORDER BY id) TO '{tmp_path}/new.parquet' "
        "(FORMAT parquet, ROW_GROUP_SIZE 500)"
    )
    os.replace(tmp_path / "new.parquet", paths[0])
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = _run(paths)
    assert not any("load cache" in n for n in after.notes)
    assert after.meta["inputs"]["rows_skipped"] != before.meta["inputs"]["rows_skipped"]


def test_options_and_kept_codes_are_part_of_the_key(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _split(tmp_path / "in", 1)
    _run(paths)
    entries = len(list(cache.glob("*.parquet")))
    for options, registry in [
        (LoadOptions(where="provider = 'openai'"), "default"),
        (LoadOptions(source_rules=()), "default"),
        (None, "tale"),  # another registry keeps other codes' messages
    ]:
        got = _run(paths, options, registry)
        assert not any("load cache" in n for n in got.notes)
        assert len(list(cache.glob("*.parquet"))) > entries  # entries of their own
        entries = len(list(cache.glob("*.parquet")))
        assert _answer(got) == _answer(
            _uncached(paths, monkeypatch, options=options, registry=registry)
        )


def test_a_folder_that_gains_a_file_reuses_the_others(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _split(tmp_path / "in", 4)
    _run(paths[:3])  # last week: three daily files
    week = _run(paths[1:])  # this week: two of them again, and a new one
    reused = sum(duckdb.execute(f"SELECT count(*) FROM '{p}'").fetchall()[0][0] for p in paths[1:3])
    assert any(
        f"{reused} of {week.meta['inputs']['rows_read']} rows counted" in n for n in week.notes
    )
    assert _answer(week) == _answer(_uncached(paths[1:], monkeypatch))


def test_a_broken_entry_is_computed_again(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _split(tmp_path / "in", 1)
    first = _run(paths)
    broken = sorted(cache.glob("*.parquet"))[0]
    broken.write_bytes(b"PAR1 not parquet at all PAR1")
    again = _run(paths)
    assert _answer(again) == _answer(first)
    assert broken.exists() and broken.stat().st_size > 100  # rewritten whole


def test_an_unwritable_cache_folder_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("ERRSCOPE_CACHE_DIR", str(blocker))
    monkeypatch.setattr(loader, "PART_ROWS", 4_000)
    paths = _split(tmp_path / "in", 1)
    assert _answer(_run(paths)) == _answer(_uncached(paths, monkeypatch))
