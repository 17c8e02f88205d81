"""The CI gate: every exit code, every output format, tolerance edges, registry warnings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import CODES, lobehub_row, make_registry, write_jsonl
from errscope.lint import compare, lint

GOOD = '''
[[patterns]]
code = "InsufficientQuota"
substring = "quota"
note = "q"

[[patterns]]
code = "ProviderNetworkError"
substring = "socket hang up"
note = "n"
'''


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A registry, a worse one (drops the network pattern), a dump and a golden corpus."""
    good = tmp_path / "good.toml"
    good.write_text(CODES + GOOD)
    worse = tmp_path / "worse.toml"
    worse.write_text(CODES.replace('version = "1"', 'version = "2"') + GOOD.split("[[patterns]]")[0]
                     + "[[patterns]]" + GOOD.split("[[patterns]]")[1])
    rows = [lobehub_row(i, "ProviderBizError", "quota exceeded") for i in range(150)]
    rows += [lobehub_row(1000 + i, "ProviderBizError", "socket hang up") for i in range(50)]
    rows += [lobehub_row(2000 + i, "ProviderBizError", f"mystery {i % 3}") for i in range(800)]
    dump = write_jsonl(tmp_path / "dump.jsonl", rows)
    corpus = write_jsonl(tmp_path / "golden.jsonl", [
        {"message": "You exceeded your current quota", "status": 429, "expected": "InsufficientQuota"},
        {"message": "socket hang up", "expected": "ProviderNetworkError"},
    ])
    return {"good": good, "worse": worse, "dump": dump, "corpus": corpus, "dir": tmp_path}


def test_corpus_pass_is_exit_0_with_success_line(cli, setup) -> None:  # type: ignore[no-untyped-def]
    run = cli("check", "--corpus", str(setup["corpus"]), "--registry", str(setup["good"]))
    assert run.code == 0, run.err
    assert "golden corpus: 2/2 cases pass" in run.out and run.out.rstrip().endswith("PASS: every check passed")


def test_corpus_failure_is_exit_1_and_names_the_case(cli, setup) -> None:  # type: ignore[no-untyped-def]
    run = cli("check", "--corpus", str(setup["corpus"]), "--registry", str(setup["worse"]))
    assert run.code == 1
    assert f"FAIL golden-case: {setup['corpus']}:2: expected ProviderNetworkError, got ProviderBizError" in run.out
    assert "decided by no pattern or status rule applies" in run.out
    assert cli("check", "--corpus", str(setup["corpus"]), "--registry", str(setup["worse"]),
               "--exit-zero").code == 0


def test_baseline_then_check(cli, setup) -> None:  # type: ignore[no-untyped-def]
    base = setup["dir"] / "base.json"
    run = cli("baseline", str(setup["dump"]), "-o", str(base), "--registry", str(setup["good"]))
    assert run.code == 0 and run.out == "" and "fallback share 80.00%" in run.err
    doc = json.loads(base.read_text())
    assert doc["codes"] == {"InsufficientQuota": 150, "ProviderBizError": 800, "ProviderNetworkError": 50}
    assert doc["registry_toml"].endswith(GOOD)
    same = cli("check", str(setup["dump"]), "--baseline", str(base), "--registry", str(setup["good"]))
    assert same.code == 0
    assert "baseline 80.00% -> current 80.00% -> change +0.00 pp -> allowed +0.50 pp" in same.out
    worse = cli("check", str(setup["dump"]), "--baseline", str(base), "--registry", str(setup["worse"]))
    assert worse.code == 1
    assert "baseline 80.00% -> current 85.00% -> change +5.00 pp -> allowed +0.50 pp" in worse.out
    assert "FAIL fallback-share" in worse.out
    assert "FAIL code-loss: ProviderNetworkError lost rows to fallback codes: 50 of 50 rows" in worse.out
    loose = cli("check", str(setup["dump"]), "--baseline", str(base), "--registry", str(setup["worse"]),
                "--tolerance", "5", "--max-code-loss", "100%")
    assert loose.code == 0, loose.out  # exactly at the tolerance passes


def test_tolerance_edge_is_exact(cli, setup) -> None:  # type: ignore[no-untyped-def]
    base = setup["dir"] / "base.json"
    cli("baseline", str(setup["dump"]), "-o", str(base), "--registry", str(setup["good"]))
    args = ["check", str(setup["dump"]), "--baseline", str(base), "--registry", str(setup["worse"]),
            "--max-code-loss", "1"]
    assert cli(*args, "--tolerance", "4.99").code == 1
    assert cli(*args, "--tolerance", "5.00").code == 0
    assert cli(*args, "--tolerance", "5.01").code == 0


def test_max_fallback_share(cli, setup) -> None:  # type: ignore[no-untyped-def]
    args = ["check", str(setup["dump"]), "--registry", str(setup["good"])]
    assert cli(*args, "--max-fallback-share", "0.8").code == 0
    run = cli(*args, "--max-fallback-share", "79.99%")
    assert run.code == 1 and "FAIL max-fallback-share" in run.out and "80.00% > 79.99%" in run.out


def test_new_residuals_are_listed_not_failing(cli, setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "b.json"
    cli("baseline", str(setup["dump"]), "-o", str(base), "--registry", str(setup["good"]))
    rows = [lobehub_row(i, "ProviderBizError", "quota") for i in range(10)]
    rows += [lobehub_row(100 + i, "ProviderBizError", f"brand new failure req_{i:08d}") for i in range(2)]
    dump = write_jsonl(tmp_path / "new.jsonl", rows)
    run = cli("check", str(dump), "--baseline", str(base), "--registry", str(setup["good"]),
              "--tolerance", "100", "-f", "json")
    doc = json.loads(run.out)
    assert run.code == 0 and doc["passed"] is True
    news = [p for p in doc["problems"] if p["kind"] == "new-residual"]
    assert news and "brand new failure" in news[0]["detail"] and news[0]["failing"] is False


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["check"], 2, "nothing to check"),
        (["check", "--corpus", "MISSING"], 3, "no such file"),
        (["check", "DUMP"], 2, "needs --baseline FILE or --max-fallback-share"),
        (["check", "--corpus", "EMPTY"], 3, "the golden corpus is empty"),
        (["check", "EMPTYDUMP", "--max-fallback-share", "0.5"], 3, "no rows to analyse"),
        (["check", "DUMP", "--baseline", "NOTBASE"], 3, "is not an errscope baseline"),
        (["check", "--corpus", "CORPUS", "--format", "yaml"], 2, "is not one of"),
        (["check", "--corpus", "CORPUS", "--tolerance", "abc"], 2, "is not a number"),
        (["check", "--corpus", "CORPUS", "--tolerance", "-1"], 2, "must not be negative"),
        (["check", "DUMP", "--max-fallback-share", "20"], 2, "--max-fallback-share 20 is more than 100%"),
        (["check", "DUMP", "--baseline", "NOTBASE", "--max-code-loss", "150%"], 2, "is more than 100%"),
        (["check", "--corpus", "CORPUS", "--registry", "BADREG"], 2, "unknown field"),
    ],
)
def test_error_exit_codes(cli, setup, args: list[str], code: int, text: str) -> None:  # type: ignore[no-untyped-def]
    d = setup["dir"]
    (d / "empty.jsonl").write_text("")
    (d / "notbase.json").write_text('{"hello": 1}')
    (d / "bad.toml").write_text(CODES + "\n[[patterns]]\ncode = \"InsufficientQuota\"\nsubstring = \"x\"\nbogus = 1\n")
    mapping = {"MISSING": str(d / "missing.jsonl"), "DUMP": str(setup["dump"]), "EMPTY": str(d / "empty.jsonl"),
               "EMPTYDUMP": str(d / "empty.jsonl"), "NOTBASE": str(d / "notbase.json"),
               "CORPUS": str(setup["corpus"]), "BADREG": str(d / "bad.toml")}
    run = cli(*[mapping.get(a, a) for a in args])
    assert run.code == code, run.err
    assert text in run.err and run.err.startswith("errscope: error:") and run.out == ""


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github", "markdown"])
def test_every_check_format(cli, setup, fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    many = write_jsonl(tmp_path / "many.jsonl", [
        {"message": f"socket hang up {i}", "expected": "ProviderNetworkError"} for i in range(12)
    ])
    run = cli("check", "--corpus", str(many), "--registry", str(setup["worse"]), "-f", fmt)
    assert run.code == 1
    if fmt == "json":
        doc = json.loads(run.out)
        assert doc["passed"] is False and len(doc["corpus"]["failures"]) == 12
    elif fmt == "junit":
        root = ET.fromstring(run.out)
        assert root.get("failures") == "12" and len(root.findall(".//failure")) == 12
    elif fmt == "github":
        errors = [line for line in run.out.splitlines() if line.startswith("::error ")]
        assert len(errors) == 10  # GitHub shows no more than 10
        assert errors[0].startswith(f"::error file={many},line=1,title=expected ProviderNetworkError")
        assert "::notice title=errscope::2 more problem(s)" in run.out
        assert summary.read_text().startswith("## errscope check failed") and summary.read_text().count("| golden-case |") == 12
    elif fmt == "markdown":
        assert run.out.startswith("## errscope check failed") and run.out.count("| golden-case |") == 12
    else:
        assert run.out.count("FAIL golden-case") == 12


def test_shadowed_and_duplicate_patterns_are_warned() -> None:
    registry = make_registry('''
[[patterns]]
code = "RateLimitExceeded"
substring = "rate limit"
ignore_case = true
note = "a"

[[patterns]]
code = "InsufficientQuota"
substring = "Rate Limit exceeded for quota"
note = "never fires: contains #1 case-insensitively"

[[patterns]]
code = "RateLimitExceeded"
substring = "rate limit"
ignore_case = true
note = "exact duplicate of #1"

[[patterns]]
code = "InsufficientQuota"
substring = "rate limit quota"
providers = ["openai"]
note = "different scope: can fire"

[[patterns]]
code = "ProviderNetworkError"
substring = "ECONN"
note = "case-sensitive"

[[patterns]]
code = "ProviderNetworkError"
substring = "econnreset"
ignore_case = true
note = "not shadowed: #5 is case-sensitive"
''')
    kinds = {(w.kind, w.position) for w in lint(registry)}
    assert ("shadowed", 2) in kinds and ("duplicate", 3) in kinds
    assert not any(p in (4, 6) for k, p in kinds if k in ("shadowed", "duplicate"))
    assert ("unproducible", 0) in kinds


def test_registry_validate_command(cli, setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("registry", "validate", str(setup["good"]), "--corpus", str(setup["corpus"]))
    assert run.code == 0 and "valid: 9 codes, 2 patterns" in run.out
    reg = tmp_path / "dup.toml"
    reg.write_text(CODES + GOOD + GOOD)
    run = cli("registry", "validate", str(reg), "--strict")
    assert run.code == 1 and "warning: duplicate: pattern #3" in run.out


def test_registry_diff_and_show(cli, setup) -> None:  # type: ignore[no-untyped-def]
    run = cli("registry", "diff", str(setup["good"]), str(setup["worse"]), "-f", "json")
    doc = json.loads(run.out)
    assert [c["change"] for c in doc["changes"]] == ["removed", "setting"] or \
        [c["change"] for c in doc["changes"]] == ["removed"]
    run = cli("registry", "diff", str(setup["good"]), str(setup["worse"]), "--on", str(setup["dump"]), "-f", "json")
    doc = json.loads(run.out)
    assert doc["moves"]["moved_rows"] == 50
    assert doc["matrix"][0]["from_code"] == "ProviderNetworkError" and doc["matrix"][0]["to_code"] == "ProviderBizError"
    show = cli("registry", "show", str(setup["good"]), "-f", "json")
    assert [p["pattern"] for p in json.loads(show.out)["patterns"]] == ["quota", "socket hang up"]


def test_reordered_patterns_are_reported_as_moved() -> None:
    a = make_registry(GOOD)
    parts = GOOD.split("[[patterns]]")
    b = make_registry("[[patterns]]" + parts[2] + "[[patterns]]" + parts[1])
    changes = compare(a, b)
    assert [c.kind for c in changes] == ["moved"]
