"""Golden outputs of every report on the committed sample, in every format each command writes.

Regenerate on purpose with `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and review
the diff. Parquet output is compared through its rows (the file bytes carry writer metadata).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from errscope.formats import Format

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SAMPLE = "fixtures/sample-dump.jsonl.gz"
SAMPLE_PARQUET = "fixtures/sample-dump.parquet"
OLD_REGISTRY = "fixtures/registries/lobehub-2026-05.toml"
CLASSIFY_FILE = "fixtures/classify-examples.jsonl"
OMI = "fixtures/omi-logs.jsonl"
TALE = "fixtures/tale-messages.jsonl"
TALE_FALLBACKS = "fixtures/tale-fallbacks.json"
LITELLM = "fixtures/litellm-errorlogs.parquet"

ALL = [f.value for f in Format]
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "analyze": (["analyze", SAMPLE], ["table", "json", "markdown"]),
    "analyze-full-rerun": (["analyze", SAMPLE_PARQUET, "--full-rerun"], ["json"]),
    "diff": (["diff", SAMPLE], ALL),
    "diff-against": (["diff", SAMPLE, "--against", OLD_REGISTRY, "--examples", "2"], ALL),
    "sources": (["sources", SAMPLE], ALL),
    "residuals": (["residuals", SAMPLE, "--top", "12", "--suggest", "6"], ALL),
    "classify": (["classify", "--file", CLASSIFY_FILE], ALL),
    "registry-show": (["registry", "show", OLD_REGISTRY], ALL),
    "registry-diff": (["registry", "diff", OLD_REGISTRY, "default"], ALL),
    "profiles": (["profiles"], ["table", "json"]),
    "omi-analyze": (["analyze", OMI], ["table", "json"]),
    "omi-sources": (["sources", OMI], ["table", "json"]),
    "tale-scopes": (["scopes", TALE, "--fallbacks", TALE_FALLBACKS], ["table", "json", "csv"]),
    "tale-scopes-tried-only": (["scopes", TALE], ["table"]),
    "tale-analyze": (["analyze", TALE], ["table"]),
    "litellm-analyze": (["analyze", LITELLM], ["table", "json"]),
    "litellm-diff": (["diff", LITELLM], ["table"]),
}
CASES = [
    (f"{name}.{fmt}", [*args, "--format", fmt])
    for name, (args, formats) in COMMANDS.items()
    for fmt in formats
]


def _compare(path: Path, actual: str) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden file"


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_golden(
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, args: list[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    if args[-1] == "parquet":
        target = tmp_path / "out.parquet"
        out_flag = "--report-out" if args[0] == "diff" else "--out"
        run = cli(*args, out_flag, str(target))
        assert run.code == 0, run.err
        rows = pq.read_table(target).to_pylist()
        actual = json.dumps(rows, indent=1, ensure_ascii=False, default=str) + "\n"
    else:
        run = cli(*args)
        assert run.code == 0, run.err
        actual = run.out
    _compare(GOLDEN / name, actual)


def test_every_format_has_golden_files() -> None:
    for fmt in Format:
        assert any(name.endswith(f".{fmt.value}") for name, _ in CASES), fmt


@pytest.mark.parametrize("layout", ["per-week", "single"])
def test_golden_weekly(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, layout: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    run = cli("report", SAMPLE, "--weekly", "--out-dir", str(tmp_path), "--layout", layout)
    assert run.code == 0, run.err
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written
    for name in written:
        _compare(GOLDEN / f"weekly-{layout}" / name, (tmp_path / name).read_text("utf-8"))
    if not os.environ.get("UPDATE_GOLDEN"):
        assert written == sorted(p.name for p in (GOLDEN / f"weekly-{layout}").iterdir())


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github", "markdown"])
def test_golden_check(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    baseline = tmp_path / "baseline.json"
    assert cli("baseline", SAMPLE, "-o", str(baseline), "--registry", OLD_REGISTRY).code == 0
    run = cli(
        "check",
        SAMPLE,
        "--baseline",
        str(baseline),
        "--corpus",
        CLASSIFY_FILE.replace("classify-examples", "golden-corpus"),
        "--format",
        fmt,
        "--max-code-loss",
        "0.01",
    )
    assert run.code in (0, 1), run.err
    _compare(GOLDEN / f"check.{fmt}", run.out.replace(str(baseline), "BASELINE"))


def test_same_numbers_from_jsonl_and_parquet(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    from_jsonl = json.loads(cli("analyze", SAMPLE, "-f", "json").out)
    from_parquet = json.loads(cli("analyze", SAMPLE_PARQUET, "-f", "json").out)
    for key in ("fallback", "retry_impact", "codes", "reclassifications", "sources", "time_span"):
        assert from_jsonl[key] == from_parquet[key], key
