"""The fixture generator: deterministic bytes, row shape, and committed samples that match it."""

from __future__ import annotations

import gzip
import json
import re
import shlex
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures"))

import generate  # noqa: E402

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SAMPLE_LIMIT = 2_500_000
ERROR_KEYS = {
    "type",
    "message",
    "attribution",
    "category",
    "severity",
    "httpStatus",
    "retryable",
    "countAsFailure",
    "numericId",
    "isFallback",
}


def sample_commands() -> dict[str, list[str]]:
    """The sample commands recorded in generate.py's docstring, by output file name."""
    commands = {}
    for line in (generate.__doc__ or "").splitlines():
        if "generate.py" in line:
            args = shlex.split(line.split("generate.py", 1)[1])
            commands[args[args.index("--out") + 1]] = args
    return commands


def read_jsonl_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def error_object(row: dict[str, Any]) -> dict[str, Any] | None:
    """The row's error as an object, decoding an error stored as a JSON string."""
    error: dict[str, Any] | None = row["error"]
    if isinstance(error, str):
        error = json.loads(error)
    return error


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    generate.write(a, 2000, 11, error_as="mixed")
    generate.write(b, 2000, 11, error_as="mixed")
    generate.write(c, 2000, 12, error_as="mixed")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_worker_processes_do_not_change_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "BLOCK_ROWS", 500)  # four blocks, so two workers share them
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    generate.write(one, 2000, 5, jobs=1)
    generate.write(two, 2000, 5, jobs=2)
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize("error_as", generate.ERROR_AS)
def test_rows_have_every_column_and_the_error_in_the_chosen_form(error_as: str) -> None:
    rows = list(generate.iter_rows(2000, 3, error_as=error_as))
    kinds = Counter(type(r["error"]).__name__ for r in rows if r["error"] is not None)
    expected = {"object": {"dict"}, "string": {"str"}, "mixed": {"dict", "str"}}[error_as]
    assert set(kinds) == expected
    for row in rows:
        assert tuple(row) == generate.COLUMNS
        assert all(ISO_MS.match(row[name]) for name in generate.TIME_COLUMNS)
        assert row["created_at"] <= row["started_at"] <= row["completed_at"] <= row["updated_at"]
        error = error_object(row)
        if row["status"] == "done" or error is None:
            assert error is None and row["status"] in ("done", "interrupted")
            continue
        assert list(error)[:2] == ["type", "message"]
        assert set(error) - {"body"} == ERROR_KEYS


def test_error_as_changes_only_how_errors_are_stored() -> None:
    plain = list(generate.iter_rows(1500, 8, error_as="object"))
    for error_as in ("string", "mixed"):
        other = list(generate.iter_rows(1500, 8, error_as=error_as))
        assert [{**r, "error": error_object(r)} for r in other] == plain


def test_type_500_is_a_json_number_in_every_form(tmp_path: Path) -> None:
    generate.write(tmp_path / "x.jsonl", 3000, 3, error_as="mixed")
    lines = (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
    as_object = [line for line in lines if '"error":{"type":500,' in line]
    as_string = [line for line in lines if '"error":"{\\"type\\":500,' in line]
    assert as_object and as_string
    for line in as_object + as_string:
        error = error_object(json.loads(line))
        assert error is not None and error["type"] == 500 and isinstance(error["type"], int)
    assert not any('"type":"500"' in line or '\\"type\\":\\"500\\"' in line for line in lines)


@pytest.mark.parametrize("error_as", generate.ERROR_AS)
def test_written_lines_are_the_rows_plainly_encoded(error_as: str, tmp_path: Path) -> None:
    generate.write(tmp_path / "x.jsonl", 1500, 9, error_as=error_as)
    lines = (tmp_path / "x.jsonl").read_bytes().decode("utf-8").split("\n")
    assert lines.pop() == ""  # every line ends with LF
    rows = generate.iter_rows(1500, 9, error_as=error_as)
    for line, row in zip(lines, rows, strict=True):
        assert line == json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def test_parquet_holds_the_same_rows_as_jsonl(tmp_path: Path) -> None:
    generate.write(tmp_path / "x.parquet", 600, 4)
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.column_names == list(generate.COLUMNS)
    assert str(table.schema.field("started_at").type) == "timestamp[ms, tz=UTC]"
    parquet_rows = table.to_pylist()
    for from_parquet, expected in zip(parquet_rows, generate.iter_rows(600, 4), strict=True):
        error = from_parquet["error"]
        assert (json.loads(error) if error is not None else None) == expected["error"]
        assert from_parquet["id"] == expected["id"]
        iso = from_parquet["started_at"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert iso == expected["started_at"]


def test_docstring_records_both_sample_commands() -> None:
    commands = sample_commands()
    assert set(commands) == {"sample-dump.jsonl.gz", "sample-dump.parquet"}
    gz = commands["sample-dump.jsonl.gz"]
    assert gz[gz.index("--error-as") + 1] == "mixed"


@pytest.mark.parametrize("name", ["sample-dump.jsonl.gz", "sample-dump.parquet"])
def test_committed_sample_equals_a_fresh_regeneration(name: str, tmp_path: Path) -> None:
    committed = ROOT / "fixtures" / name
    assert committed.stat().st_size < SAMPLE_LIMIT
    args = sample_commands()[name]
    fresh = tmp_path / name
    args[args.index("--out") + 1] = str(fresh)
    assert generate.main(args) == 0
    if name.endswith(".gz"):
        assert gzip.decompress(fresh.read_bytes()) == gzip.decompress(committed.read_bytes())
    else:
        assert pq.read_table(fresh).equals(pq.read_table(committed))


def test_committed_samples_hold_the_same_rows() -> None:
    rows = read_jsonl_gz(ROOT / "fixtures" / "sample-dump.jsonl.gz")
    table = pq.read_table(ROOT / "fixtures" / "sample-dump.parquet")
    assert table.column("id").to_pylist() == [r["id"] for r in rows]
    from_parquet = [
        json.loads(e) if e is not None else None for e in table.column("error").to_pylist()
    ]
    assert from_parquet == [error_object(r) for r in rows]


def test_sample_mix_is_in_sane_ranges() -> None:
    rows = read_jsonl_gz(ROOT / "fixtures" / "sample-dump.jsonl.gz")
    errors = [e for e in map(error_object, rows) if e is not None]
    types = Counter(str(e["type"]) for e in errors)
    messages = [e["message"] for e in errors]
    assert 0.02 < 1 - len(errors) / len(rows) < 0.05  # done/interrupted rows with no error
    assert 0.28 < types["ProviderBizError"] / len(errors) < 0.42
    assert types["500"] and types["QuotaLimitReached"] and types["pg_23505"]
    assert 0.2 < len(set(messages)) / len(messages) < 0.45
    assert 0.18 < sum(r["provider"] == "lobehub" for r in rows) / len(rows) < 0.33
    assert 2000 < len({r["user_id"] for r in rows}) <= generate.N_USERS
