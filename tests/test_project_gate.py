"""The project's own CI gate: the default registry must pass its golden corpus, like any team's."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_default_registry_passes_the_golden_corpus(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("check", "--corpus", str(ROOT / "fixtures" / "golden-corpus.jsonl"))
    assert run.code == 0, run.out
    assert run.out.rstrip().endswith("PASS: every check passed")


def test_default_registry_validates_without_shadowed_patterns(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("registry", "validate", "default")
    assert run.code == 0
    assert "warning: shadowed" not in run.out and "warning: duplicate" not in run.out
