"""The fast paths answer exactly like the plain ones: the grouped Parquet read against counting
row by row, the re-run from a partly filled match cache against no cache, RE2 prefilters
against RE2 alone."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from conftest import lobehub_row, make_registry
from errscope import loader
from errscope.analysis import AnalyzeOptions, analyze
from errscope.loader import LoadOptions, SourceRule, connect, load
from errscope.matcher import Matcher, prefilter_regex, split_untranslatable
from errscope.registry import load_registry


def _error_text(n: int) -> str | None:
    """Error documents of every shape the loader accepts, as stored text."""
    statuses = [{}, {"status": 429}, {"statusCode": "503"}, {"error": {"status": "402"}},
                {"status": "abc", "statusCode": 500}, {"status": 4.29e2}]
    types = ["ProviderBizError", " ProviderBizError ", "500", "AgentRuntimeError", None, ""]
    messages = ["429 too many", "quota exceeded", "  spaced  ", "", None, "key invalid"]
    doc = {"type": types[n % 6], "message": messages[n % 5], "body": statuses[n % 4]}
    shapes = [None, json.dumps(json.dumps(doc)), "null", "{}", '""', "", "[1]",
              json.dumps({"other": 1}), json.dumps("a plain string"), f"not json {n % 3}"]
    return shapes[n % 16] if n % 16 < len(shapes) else json.dumps(doc)


@pytest.fixture(scope="module")
def parquet_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("grouped")
    rows = []
    for n in range(3000):
        row = lobehub_row(n, "x", "m", provider=["openai", "lobehub", " OpenAI", "", None][n % 5])
        row["error"] = _error_text(n)
        row["created_at"] = None if n % 17 == 0 else f"2026-11-{n % 9 + 1:02d}T0{n % 10}:00:00Z"
        row["source"] = [None, None, "BYOK", "platform"][n % 4]
        rows.append(row)
    source = folder / "rows.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    columns = ("{'id': 'VARCHAR', 'created_at': 'VARCHAR', 'provider': 'VARCHAR', "
               "'model': 'VARCHAR', 'source': 'VARCHAR', 'error': 'VARCHAR'}")
    read = f"read_json('{source}', columns = {columns})"
    paths = []
    for name, error, created in [("text", "error", "created_at::TIMESTAMPTZ"),
                                 ("json", "error::JSON", "created_at::TIMESTAMP")]:
        for half in (0, 1):
            target = folder / f"{name}-{half}.parquet"
            valid = "error IS NULL OR json_valid(error)" if name == "json" else "true"
            con.execute(
                f"COPY (SELECT id, provider, model, source, {created} AS created_at, "
                f"{error} AS error FROM {read} WHERE ({valid}) AND hash(id) % 2 = {half}) "
                f"TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 1000)"
            )
            paths.append(str(target))
    return paths


OPTIONS = [
    LoadOptions(skip_bad_rows=True),
    LoadOptions(since=datetime(2026, 11, 3), until=datetime(2026, 11, 6)),
    LoadOptions(until=datetime(2026, 11, 2)),
    LoadOptions(where="provider = 'openai' AND message LIKE '%quota%'"),
    LoadOptions(where="ts IS NOT NULL AND status >= 429"),
    LoadOptions(where="model IS NOT NULL"),
    LoadOptions(source_rules=(SourceRule("message LIKE '%key%'", "byok"),
                              SourceRule("status = 429", "platform"))),
]


@pytest.mark.parametrize("part_rows", [1_000, 2_000_000])
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("keep", [None, frozenset({"ProviderBizError"})])
def test_grouped_read_counts_like_row_by_row(
    parquet_files: list[str], monkeypatch: pytest.MonkeyPatch, part_rows: int,
    options: LoadOptions, which: int, keep: frozenset[str] | None,
) -> None:
    monkeypatch.setattr(loader, "PART_ROWS", part_rows)
    statements: list[str] = []
    run = loader._run

    def spy(con: object, steps: list[str], *args: object) -> None:
        statements.extend(steps)
        run(con, steps, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "_run", spy)
    con = connect()
    load(con, parquet_files[2 * which : 2 * which + 2], options, keep_message_for=keep)
    assert any("sum(_n)" in s for s in statements)  # read as groups ...
    assert not any("count(*)::BIGINT AS n" in s for s in statements)  # ... and not again by row
    grouped = con.execute("SELECT * FROM groups").fetchall()
    con.execute(loader._groups_sql(keep))  # the same table, counted row by row
    by_row = con.execute("SELECT * FROM groups").fetchall()
    assert sorted(grouped, key=repr) == sorted(by_row, key=repr)


def test_rerun_from_a_partly_filled_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = "fixtures/sample-dump.parquet"
    part = tmp_path / "part.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM read_parquet('{sample}') USING SAMPLE 40 PERCENT (bernoulli, 3)) "
        f"TO '{part}' (FORMAT parquet)"
    )
    registry = load_registry()

    def run(spec: str) -> tuple[object, ...]:
        report = analyze([spec], registry, options=AnalyzeOptions(limit=1000))
        return report.meta["work"], [s.rows for s in report.sections], report.meta["fallback"]

    monkeypatch.setenv("ERRSCOPE_NO_CACHE", "1")
    plain = run(sample)
    monkeypatch.delenv("ERRSCOPE_NO_CACHE")
    monkeypatch.setenv("ERRSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    run(str(part))
    assert run(sample) == plain  # part of the messages cached
    assert run(sample) == plain  # all cached


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        ("(?s)(?:(?i)x(?-i:đ))", "(?is)(?:x(?:[Đđ]))"),
        ("(?s)(?:a(?i:đ))", "(?is)(?:a(?:[Đđ]))"),
        ("(?s)(?:(?i)a(?-i:B)c)", "(?is)(?:a(?:B)c)"),
        ("(?s)(?:\\(?-i:x)", "(?is)(?:\\(?-i:x)"),  # an escaped parenthesis is no flag group
        ("(?s)(?:[(?-i:]x)", "(?is)(?:[(?-i:]x)"),  # nor is one in a class
        ("(?s)(?:(?m)^a$)", None),
        ("(?s)(?:(?i)\\pL(?-i:a))", None),
    ],
)
def test_prefilter_translation(regex: str, expected: str | None) -> None:
    assert prefilter_regex(regex) == expected


SCOPED = r'''
[[patterns]]
code = "ProviderServiceUnavailable"
regex = '(?i)overloaded|(?-i:\bUNAVAILABLE\b)|đang bận'

[[patterns]]
code = "RateLimitExceeded"
regex = 'máy (?i:đang) BẬN'

[[patterns]]
code = "InsufficientQuota"
regex = '(?i)quota|(?-i:XY)đ|hết hạn mức'

[[patterns]]
code = "RateLimitExceeded"
regex = 'rate limit'
'''


@pytest.mark.parametrize(
    "message",
    ["OVERLOADED", "unavailable", "UNAVAILABLE now", "ĐANG BẬN", "máy ĐANG BẬN", "MÁY đang bận",
     "máy đang BẬN", "nothing", "s\u212aill unavailable", "", "QUOTA", "XYđ", "xyĐ", "XYĐ",
     "Hết Hạn Mức", "xy đ quota"],
)
def test_prefiltered_patterns_agree_with_re2(message: str) -> None:
    registry = make_registry(SCOPED)
    fast, reference = Matcher(registry.patterns), Matcher(registry.patterns, use_hyperscan=False)
    assert fast.matches(message) == reference.matches(message)
    assert fast.matches_many([message]) == [reference.matches(message)]


def test_scoped_patterns_keep_their_plain_alternatives_exact() -> None:
    # Only the alternatives that cannot join the exact part go through RE2's confirmation.
    fast = Matcher(make_registry(SCOPED).patterns)
    assert sorted(fast._confirm) == [0, 1, 2]
    assert 0 in fast._hs_ids and 2 in fast._hs_ids  # exact parts, no confirming
    assert 1 not in fast._hs_ids  # no exact part: a whole prefilter


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (
            "(?s)(?:(?i)overloaded|(?-i:UNAVAILABLE)|đang bận)",
            ("(?s)(?:(?i)overloaded|(?-i:UNAVAILABLE))", "(?is)(?:[Đđ]ang b[Ậậ]n)"),
        ),
        ("(?s)(?:(?i)a|(?-i:XY)đ|b)", ("(?s)(?:(?i)a|b)", "(?is)(?:(?:XY)[Đđ])")),
        ("(?s)(?:(?i)a(?-i:XY)đ)", None),  # one alternative: nothing to split
        ("(?s)(?:(?i)a|(?-i)XYđ|b)", None),  # a top-level flag reaches the later ones
        ("(?s)(?:(?i)\\pL|(?-i:XY)đ)", None),  # no alternative translates
    ],
)
def test_untranslatable_patterns_split(regex: str, expected: tuple[str, str] | None) -> None:
    assert split_untranslatable(regex) == expected
