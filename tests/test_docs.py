"""Docs cannot drift: every command has help text and a README section; exit codes match."""

from __future__ import annotations

from pathlib import Path

from errscope.cli import app
from errscope.errors import ExitStatus

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, str | None]]:
    return [
        (
            c.name or (c.callback.__name__ if c.callback else ""),
            c.callback.__doc__ if c.callback else None,
        )
        for c in app.registered_commands
    ]


def test_every_command_has_help_and_a_readme_section() -> None:
    commands = _commands()
    assert commands
    for name, doc in commands:
        assert doc and doc.strip(), f"{name} has no help text"
        assert f"### `errscope {name}`" in README, f"README has no section for {name}"


def test_readme_lists_every_exit_code() -> None:
    for status in ExitStatus:
        assert f"| {int(status)} |" in README


def test_readme_has_the_quickstart_markers_ci_runs() -> None:
    assert "<!-- quickstart-install -->" in README and "<!-- quickstart-test -->" in README
