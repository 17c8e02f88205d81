"""`errscope residuals`: templates from what is still unclassified, and suggested patterns."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

from conftest import CODES, lobehub_row, make_registry, write_jsonl
from errscope.registry import parse_registry
from errscope.residuals import ResidualOptions, patterns_toml, residuals, template_regex

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "templates" / "llm_messages.jsonl"


def _dump(tmp_path: Path) -> tuple[Path, Counter[str]]:
    cases = [json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines()]
    rows = [lobehub_row(i, "ProviderBizError", c["message"]) for i, c in enumerate(cases)]
    return write_jsonl(tmp_path / "llm.jsonl", rows), Counter(c["template_id"] for c in cases)


def test_every_fixture_template_comes_out_as_one_group(tmp_path: Path) -> None:
    dump, per_template = _dump(tmp_path)
    report, _ = residuals([str(dump)], make_registry(), options=ResidualOptions(top=100, suggest=0))
    groups = report.section("templates").rows
    assert len(groups) == len(per_template)
    assert sorted(g["rows"] for g in groups) == sorted(per_template.values())
    assert report.meta["residual_rows"] == sum(per_template.values())


def test_deterministic(tmp_path: Path) -> None:
    dump, _ = _dump(tmp_path)
    first, _ = residuals([str(dump)], make_registry(), options=ResidualOptions(suggest=3))
    second, _ = residuals([str(dump)], make_registry(), options=ResidualOptions(suggest=3))
    assert first.sections[0].rows == second.sections[0].rows
    assert first.sections[1].rows == second.sections[1].rows


def test_suggestions_absorb_without_stealing_and_emit_valid_toml(tmp_path: Path) -> None:
    rows = [lobehub_row(i, "ProviderBizError", f"Quota exhausted for workspace ws_{i:04d} today")
            for i in range(30)]
    # The same words, already a rate limit through the status map: a pattern matching them
    # would steal these rows, so the suggestion must not.
    rows += [lobehub_row(100 + i, "ProviderBizError", "Quota exhausted", body={"status": 429})
             for i in range(5)]
    dump = write_jsonl(tmp_path / "d.jsonl", rows)
    registry = make_registry('[[patterns]]\ncode = "InsufficientQuota"\nsubstring = "insufficient_quota"\n'
                             'note = "quota wording: quota exhausted, balance"\n')
    report, suggestions = residuals([str(dump)], registry, options=ResidualOptions(suggest=1))
    top = suggestions[0]
    assert top.template == "Quota exhausted for workspace ws_<*> today"
    assert top.steals == 0 and top.absorbs == 30
    assert top.text != "Quota exhausted"
    text = patterns_toml(suggestions, registry, str(dump))
    parsed = tomllib.loads(text)
    assert len(parsed.get("patterns", [])) in (0, 1)
    if parsed.get("patterns"):
        merged = parse_registry(registry.text + "\n" + text)
        assert merged.patterns[-1].code == top.code


def test_template_regex_is_linear_and_matches_members() -> None:
    import re2

    regex = template_regex("Rate limit reached for <*> in organization org-<*> on tokens")
    assert re2.search(regex, "Rate limit reached for gpt-4o in organization org-abc on tokens")
    assert not re2.search(regex, "Rate limit reached for gpt-4o in team org-abc on tokens")


def test_residuals_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dump, per_template = _dump(tmp_path)
    registry = tmp_path / "r.toml"
    registry.write_text(CODES)
    emitted = tmp_path / "suggested.toml"
    run = cli("residuals", str(dump), "--registry", str(registry), "-f", "json",
              "--emit-patterns", str(emitted), "--suggest", "3")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["template_count"] == len(per_template)
    assert len(doc["suggestions"]) == 3 and f"wrote 3 suggested patterns to {emitted}" in run.err
    tomllib.loads(emitted.read_text())


def test_steals_are_counted(tmp_path: Path) -> None:
    rows = [lobehub_row(i, "ProviderBizError", f"Quota exhausted for workspace ws_{i:04d} today")
            for i in range(30)]
    rows += [lobehub_row(100 + i, "ProviderBizError", f"Quota exhausted for workspace ws_{i:04d} today",
                         body={"status": 429}) for i in range(5)]
    dump = write_jsonl(tmp_path / "d.jsonl", rows)
    _, suggestions = residuals([str(dump)], make_registry(), options=ResidualOptions(suggest=1))
    assert (suggestions[0].absorbs, suggestions[0].steals) == (30, 5)
