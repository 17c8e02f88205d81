"""The command line: stdout carries data only, errors are one line plus a hint, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import lobehub_row, write_jsonl
from errscope import __version__


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    rows = [
        lobehub_row(
            1, "ProviderBizError", "429 You exceeded your current quota", body={"status": 429}
        ),
        lobehub_row(2, "ProviderBizError", "upstream said no", body={"status": 503}),
        lobehub_row(3, "InvalidProviderAPIKey", "Incorrect API key provided"),
        lobehub_row(4, 500, "boom", provider="lobehub"),
    ]
    return write_jsonl(tmp_path / "dump.jsonl", rows)


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("--version")
    assert (run.code, run.out, run.err) == (0, f"errscope {__version__}\n", "")


def test_help_lists_exit_codes(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("--help")
    assert run.code == 0
    assert (
        "Exit codes: 0 ok; 1 a check failed; 2 usage or registry error; 3 input error"
        in " ".join(run.out.split())
    )


def test_analyze_json_goes_to_stdout_and_notes_to_stderr(cli, dump: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", str(dump), "--format", "json")
    assert run.code == 0
    data = json.loads(run.out)
    assert data["inputs"]["rows_read"] == 4 and data["inputs"]["rows_analysed"] == 4
    assert data["fallback"]["stored_rows"] == 3
    assert data["registry"]["name"] == "lobehub-default"
    assert "errscope: fallback share:" in run.err
    assert "{" not in run.err


def test_analyze_table_is_plain_when_redirected(cli, dump: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", str(dump))
    assert run.code == 0
    assert "Top codes after the re-run" in run.out
    assert "\x1b[" not in run.out and "━" not in run.out and "│" not in run.out


def test_analyze_markdown(cli, dump: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", str(dump), "-f", "markdown")
    assert run.code == 0 and run.out.startswith("## errscope analyze\n")
    assert "| code | numeric_id |" in run.out


def test_analyze_writes_out_file(cli, dump: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.json"
    run = cli("analyze", str(dump), "-f", "json", "--out", str(target))
    assert run.code == 0 and run.out == ""
    assert json.loads(target.read_text())["command"] == "analyze"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".errscope-")] == []


def test_an_out_path_that_cannot_be_written_is_exit_2(cli, dump: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "taken").mkdir()
    run = cli("analyze", str(dump), "-f", "json", "--out", str(tmp_path / "taken"))
    assert run.code == 2 and run.out == ""
    assert f"errscope: error: cannot write {tmp_path / 'taken'}: Is a directory" in run.err
    assert "Traceback" not in run.err and "internal error" not in run.err


def test_missing_input_is_exit_3(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", str(tmp_path / "nope.jsonl"))
    assert run.code == 3 and run.out == ""
    assert run.err.startswith("errscope: error: no such file:")
    assert "hint:" in run.err and "Traceback" not in run.err


def test_malformed_input_is_exit_3_with_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "error": {"type": "X", "message": "m"}}\n{broken\n')
    run = cli("analyze", str(path))
    assert run.code == 3 and run.out == ""
    assert f"{path}:2" in run.err and "hint: fix the export, or pass --skip-bad-rows" in run.err
    skipped = cli("analyze", str(path), "--skip-bad-rows", "-f", "json")
    assert skipped.code == 0
    assert json.loads(skipped.out)["inputs"]["rows_skipped"] == {"malformed row": 1}
    assert f"skipped malformed row {path}:2" in skipped.err


def test_registry_error_is_exit_2(cli, dump: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "r.toml"
    bad.write_text(
        '[registry]\nname = "x"\nversion = "1"\n[codes.A]\nid = "E1001"\ncategory = "auth"\nattribution = "user"\n[[patterns]]\ncode = "A"\nregex = "(?<=x)"\n'
    )
    run = cli("analyze", str(dump), "--registry", str(bad))
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"errscope: error: {bad}: pattern #1 (regex '(?<=x)')")


def test_usage_errors_are_exit_2(cli, dump: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", str(dump), "--format", "yaml")
    assert run.code == 2 and run.out == "" and run.err.startswith("errscope: error:")
    run = cli("analyze", str(dump), "--format", "csv")
    assert run.code == 2 and "analyze writes table, json, markdown" in run.err
    run = cli("analyze", str(dump), "--since", "yesterday")
    assert run.code == 2 and "--since 'yesterday' is not a date" in run.err
    run = cli("analyze", str(dump), "--where", "provider = (SELECT 1)")
    assert run.code == 2 and "not allowed" in run.err
    run = cli("analyze", str(dump), "--map", "nonsense")
    assert run.code == 2 and "expected FIELD=PATH" in run.err
    run = cli("nosuchcommand")
    assert run.code == 2 and run.err.startswith("errscope: error:")


def test_empty_input_reports_zero_rows(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty.jsonl").write_text("")
    run = cli("analyze", str(tmp_path / "empty.jsonl"), "-f", "json")
    assert run.code == 0
    assert json.loads(run.out)["inputs"]["rows_read"] == 0
    assert "no rows to analyse" in run.err


def test_classify_one_message(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli(
        "classify",
        "429 You exceeded your current quota, please check your plan and billing details",
        "--status",
        "429",
        "-f",
        "json",
    )
    assert run.code == 0 and run.err == ""
    result = json.loads(run.out)["results"][0]
    assert result["code"] == "InsufficientQuota" and result["numeric_id"] == "E2001"
    assert result["step"] == "pattern" and result["pattern_position"] >= 1


def test_classify_status_map_and_pass_through(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("classify", "opaque", "--status", "503", "-f", "json")
    result = json.loads(run.out)["results"][0]
    assert (result["code"], result["step"], result["status_used"]) == (
        "ProviderServiceUnavailable",
        "status",
        503,
    )
    run = cli("classify", "rate limit", "--type", "InvalidProviderAPIKey", "-f", "json")
    assert json.loads(run.out)["results"][0]["step"] == "pass-through"


def test_classify_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl(
        tmp_path / "m.jsonl", [{"message": "socket hang up"}, {"message": "x", "status": 429}]
    )
    run = cli("classify", "--file", str(path), "-f", "jsonl")
    assert run.code == 0
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert [line["code"] for line in lines][1] == "RateLimitExceeded"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{\n")
    run = cli("classify", "--file", str(bad))
    assert run.code == 3 and f"{bad}:1: not JSON" in run.err


def test_classify_text_that_is_not_utf8(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A JSON escape of a lone surrogate, and undecodable bytes in an argument (which Python
    # hands over as surrogateescape): read with U+FFFD in place, classified, written out.
    path = tmp_path / "s.jsonl"
    path.write_text('{"message": "rate limit \\ud800 exceeded", "status": 429}\n')
    run = cli("classify", "--file", str(path), "-f", "jsonl")
    assert run.code == 0 and run.err == ""
    line = json.loads(run.out)
    assert line["message"] == "rate limit \ufffd\ufffd\ufffd exceeded"
    assert line["code"] == "RateLimitExceeded"
    run = cli("classify", "insufficient_quota \udcff", "-f", "json")
    assert run.code == 0 and run.err == ""
    result = json.loads(run.out)["results"][0]
    assert result["message"] == "insufficient_quota \ufffd"
    assert result["code"] == "InsufficientQuota"


def test_classify_needs_message_or_file(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("classify")
    assert run.code == 2 and "give a MESSAGE or --file" in run.err


def test_parquet_format_needs_out(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("classify", "x", "-f", "parquet")
    assert run.code == 2 and "needs --out" in run.err


def test_module_entry_point() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "errscope", "--version"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root / "cli"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and done.stdout.strip() == f"errscope {__version__}"


def test_cache_is_used_and_no_cache_skips_it(cli, dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERRSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    first = cli("analyze", str(dump), "-f", "json")
    assert "(3 matched now" in first.err
    second = cli("analyze", str(dump), "-f", "json")
    assert "(0 matched now" in second.err and second.out == first.out
    uncached = cli("--no-cache", "analyze", str(dump), "-f", "json")
    assert "(3 matched now" in uncached.err and uncached.out == first.out
    assert "ERRSCOPE_NO_CACHE" not in __import__("os").environ
    assert list((tmp_path / "cache" / "matches").glob("*.duckdb"))


def test_unwritable_cache_folder_still_works(cli, dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ERRSCOPE_CACHE_DIR", str(blocker))
    run = cli("analyze", str(dump), "-f", "json")
    assert run.code == 0 and json.loads(run.out)["inputs"]["rows_analysed"] == 4
