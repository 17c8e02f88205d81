"""The package is a library first: usable without Typer or Rich, as the README shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_library_example_runs_without_typer_or_rich() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Using it as a library", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    check = (
        "import sys\n" + example + "\nassert 'typer' not in sys.modules, 'typer imported'\n"
        "assert 'rich' not in sys.modules, 'rich imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT / "cli"), "PATH": "/usr/bin:/bin",
             **{k: v for k, v in os.environ.items() if k in ("HOME", "ERRSCOPE_CACHE_DIR")}},
    )
    assert done.returncode == 0, done.stderr
    assert "## errscope analyze" in done.stdout
