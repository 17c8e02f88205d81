"""diff, sources and the weekly report on small, hand-made dumps whose answers are known."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import lobehub_row, write_jsonl

OLD = """
[[patterns]]
code = "RateLimitExceeded"
substring = "quota"
note = "old, wrong: quota is not a rate limit"
"""
NEW = """
[[patterns]]
code = "InsufficientQuota"
substring = "quota"
note = "new"

[[patterns]]
code = "ProviderNetworkError"
substring = "socket hang up"
note = "new"
"""


@pytest.fixture
def registries(tmp_path: Path) -> tuple[Path, Path]:
    from conftest import CODES

    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    old.write_text(CODES + OLD)
    new.write_text(CODES.replace('version = "1"', 'version = "2"') + NEW)
    return old, new


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    rows = []
    n = 0
    for _ in range(3):
        n += 1
        rows.append(lobehub_row(n, "ProviderBizError", "You exceeded your current quota", provider="openai"))
    for _ in range(2):
        n += 1
        rows.append(lobehub_row(n, "ProviderBizError", "=cmd| socket hang up", provider="lobehub"))
    n += 1
    rows.append(lobehub_row(n, "RateLimitExceeded", "429 slow down"))
    rows.append({**lobehub_row(99, "ProviderBizError", "credit balance is too low"), "reason": "unknown",
                 "source": "byok"})
    return write_jsonl(tmp_path / "dump.jsonl", rows)


def test_diff_against_stored(cli, dump: Path, registries: tuple[Path, Path]) -> None:  # type: ignore[no-untyped-def]
    _, new = registries
    run = cli("diff", str(dump), "--registry", str(new), "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["before"] == {"kind": "stored"} and doc["after"]["version"] == "2"
    cells = {(c["from_code"], c["to_code"]): c for c in doc["matrix"]}
    assert cells[("ProviderBizError", "InsufficientQuota")]["rows"] == 3
    assert cells[("ProviderBizError", "ProviderNetworkError")]["rows"] == 2
    assert cells[("ProviderBizError", "ProviderNetworkError")]["retryable_flip"] == "becomes retryable"
    assert doc["moved_rows"] == 5 and doc["rows"] == 7
    assert doc["fallback"]["before_rows"] == 6 and doc["fallback"]["after_rows"] == 1
    assert doc["flip_totals"]["became_retryable"] == 2


def test_diff_two_registries_and_changed_rows(cli, dump: Path, registries: tuple[Path, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = registries
    out = tmp_path / "changed.csv"
    run = cli("diff", str(dump), "--registry", str(new), "--against", str(old), "--out", str(out), "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["before"]["version"] == "1" and doc["after"]["version"] == "2"
    cells = {(c["from_code"], c["to_code"]): c["rows"] for c in doc["matrix"]}
    assert cells == {("RateLimitExceeded", "InsufficientQuota"): 3,
                     ("ProviderBizError", "ProviderNetworkError"): 2}
    assert doc["flip_totals"]["stopped_retryable"] == 3 and doc["flip_totals"]["became_retryable"] == 2
    assert "wrote 5 moved rows" in run.err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5
    assert {r["to_code"] for r in rows} == {"InsufficientQuota", "ProviderNetworkError"}
    network = [r for r in rows if r["to_code"] == "ProviderNetworkError"][0]
    assert network["message"].startswith("'=cmd")  # neutralised for spreadsheets
    assert network["pattern_position"] == "2" and network["pattern"] == "socket hang up"
    assert network["ts"].endswith("Z")
    assert len(network["after_registry_hash"]) == 64 and network["before_registry_hash"] != network["after_registry_hash"]


@pytest.mark.parametrize("suffix", ["parquet", "jsonl"])
def test_diff_changed_rows_other_formats(cli, dump: Path, registries: tuple[Path, Path], tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    _, new = registries
    out = tmp_path / f"changed.{suffix}"
    assert cli("diff", str(dump), "--registry", str(new), "--out", str(out)).code == 0
    if suffix == "parquet":
        rows = pq.read_table(out).to_pylist()
    else:
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 5 and rows[0]["from_code"] == "ProviderBizError"


def test_diff_out_with_unknown_suffix_is_usage_error(cli, dump: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("diff", str(dump), "--out", str(tmp_path / "x.xlsx"))
    assert run.code == 2 and "unknown suffix" in run.err and not (tmp_path / "x.xlsx").exists()


def test_sources_reasons_and_disagreements(cli, dump: Path, registries: tuple[Path, Path]) -> None:  # type: ignore[no-untyped-def]
    _, new = registries
    run = cli("sources", str(dump), "--registry", str(new), "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["rows_by_source"] == {"byok": 1, "platform": 2, "unknown": 4}
    reasons = {(r["source"], r["reason"]): r["rows"] for r in doc["reasons"]}
    assert reasons[("unknown", "quota")] == 3 and reasons[("platform", "network")] == 2
    assert reasons[("unknown", "rate_limit")] == 1
    assert doc["stored_reason_present"] is True
    dis = doc["reason_disagreements"]
    assert dis == [] or all(d["stored_reason"] != d["derived_reason"] for d in dis)


def test_sources_credit_balance_logged_unknown_is_quota(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [{**lobehub_row(1, "ProviderBizError", "Your credit balance is too low to access the Anthropic API."),
             "reason": "unknown", "source": "byok"}]
    run = cli("sources", str(write_jsonl(tmp_path / "o.jsonl", rows)), "-f", "json")
    dis = json.loads(run.out)["reason_disagreements"]
    assert [(d["stored_reason"], d["derived_reason"], d["rows"]) for d in dis] == [("unknown", "quota", 1)]


def test_weekly_report_files(cli, tmp_path: Path, registries: tuple[Path, Path]) -> None:  # type: ignore[no-untyped-def]
    _, new = registries
    rows = [lobehub_row(i, "ProviderBizError", "quota", created_at=f"2026-11-{d:02d}T12:00:00Z")
            for i, d in enumerate([2, 3, 9, 9, 10, 16], start=1)]
    rows.append({**lobehub_row(50, "ProviderBizError", "=SUM(A1)"), "created_at": None})
    dump = write_jsonl(tmp_path / "w.jsonl", rows)
    out = tmp_path / "reports"
    out.mkdir()
    run = cli("report", str(dump), "--weekly", "--out-dir", str(out), "--registry", str(new), "-f", "json")
    assert run.code == 0, run.err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["errscope-2026-W45-summary.csv", "errscope-2026-W45.csv",
                     "errscope-2026-W46-summary.csv", "errscope-2026-W46.csv",
                     "errscope-2026-W47-summary.csv", "errscope-2026-W47.csv"]
    assert "1 rows have no timestamp" in run.err
    detail = list(csv.DictReader((out / "errscope-2026-W46.csv").open()))
    quota = [r for r in detail if r["code"] == "InsufficientQuota"][0]
    assert (quota["rows_rerun"], quota["rows_stored"], quota["days_seen"], quota["rerun_change_wow"]) == ("3", "0", "2", "1")
    assert quota["first_seen"] == "2026-11-09T12:00:00Z" and quota["share"] == "1.0"
    summary = list(csv.DictReader((out / "errscope-2026-W46-summary.csv").open()))[0]
    assert summary["rows"] == "3" and summary["fallback_share_stored"] == "1.0"
    assert summary["fallback_share_rerun"] == "0.0" and summary["top_new_codes"] == "InsufficientQuota (+3)"
    first = (out / "errscope-2026-W46.csv").read_bytes()
    assert b"\r\n" not in first
    # Re-running replaces the files with identical bytes; --since restricts the weeks.
    assert cli("report", str(dump), "--weekly", "--out-dir", str(out), "--registry", str(new)).code == 0
    assert (out / "errscope-2026-W46.csv").read_bytes() == first
    single = tmp_path / "single"
    single.mkdir()
    run = cli("report", str(dump), "--weekly", "--out-dir", str(single), "--layout", "single",
              "--since", "2026-11-09", "--registry", str(new))
    assert run.code == 0
    weeks = {r["week"] for r in csv.DictReader((single / "errscope-weekly.csv").open())}
    assert weeks == {"2026-W46", "2026-W47"}


def test_report_errors(cli, dump: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", str(dump), "--out-dir", str(tmp_path))
    assert run.code == 2 and "needs --weekly" in run.err
    run = cli("report", str(dump), "--weekly", "--out-dir", str(tmp_path / "missing"))
    assert run.code == 2 and "is not a folder" in run.err
    run = cli("report", str(dump), "--weekly", "--out-dir", str(tmp_path), "--layout", "zip")
    assert run.code == 2 and "unknown layout" in run.err


def test_reclassification_example_is_the_most_frequent_message(tmp_path: Path, registries) -> None:  # type: ignore[no-untyped-def]
    # Per code pair, the example is the message with the most rows over all its statuses and
    # providers; between messages with as many rows, the first in order.
    from errscope.analysis import analyze
    from errscope.registry import load_registry

    rows = []
    for n, (message, status) in enumerate(
        [("quota b", 400), ("quota b", 400), ("quota a", 400), ("quota a", 400),
         ("quota split", 400), ("quota split", 500), ("quota split", None),
         ("quota c", 400), ("socket hang up x", 400), ("socket hang up w", 400)]
    ):
        body = {"status": status} if status is not None else None
        rows.append(lobehub_row(n, "ProviderBizError", message, body=body))
    dump = write_jsonl(tmp_path / "ties.jsonl", rows)
    report = analyze([str(dump)], load_registry(str(registries[1])))
    examples = {(r["from_code"], r["to_code"]): (r["rows"], r["example"])
                for r in report.section("reclassifications").rows}
    assert examples == {
        ("ProviderBizError", "InsufficientQuota"): (8, "quota split"),
        ("ProviderBizError", "ProviderNetworkError"): (2, "socket hang up w"),
    }
