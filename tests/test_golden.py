"""Golden outputs of every report on the committed sample, in every format the command writes.

Regenerate on purpose with `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and review
the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SAMPLE = "fixtures/sample-dump.jsonl.gz"

CASES = [
    ("analyze.json", ["analyze", SAMPLE, "--format", "json"]),
    ("analyze.md", ["analyze", SAMPLE, "--format", "markdown"]),
    ("analyze.txt", ["analyze", SAMPLE, "--format", "table"]),
    (
        "analyze-parquet-full-rerun.json",
        ["analyze", "fixtures/sample-dump.parquet", "--format", "json", "--full-rerun"],
    ),
    (
        "classify.json",
        ["classify", "--file", "fixtures/classify-examples.jsonl", "--format", "json"],
    ),
    ("classify.txt", ["classify", "--file", "fixtures/classify-examples.jsonl"]),
]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_golden(cli, monkeypatch: pytest.MonkeyPatch, name: str, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    run = cli(*args)
    assert run.code == 0, run.err
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(run.out, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert run.out == path.read_text(encoding="utf-8")


def test_same_rows_same_numbers_from_jsonl_and_parquet(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import json

    monkeypatch.chdir(ROOT)
    from_jsonl = json.loads(cli("analyze", SAMPLE, "-f", "json").out)
    from_parquet = json.loads(cli("analyze", "fixtures/sample-dump.parquet", "-f", "json").out)
    for key in ("fallback", "retry_impact", "codes", "reclassifications", "sources", "time_span"):
        assert from_jsonl[key] == from_parquet[key], key
