"""The built wheel carries the queries and the registry: install it into a fresh venv and run it."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample-dump.jsonl.gz"


def test_wheel_installs_and_analyzes_the_sample(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(dist.glob("errscope-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "errscope/queries/classified.sql" in names
    assert "errscope/registries/default.toml" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    # Dependencies come from this environment, without its editable errscope (a plain path
    # in a .pth file does not run the .pth files inside it).
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_deps.pth").write_text("\n".join(sorted(deps)) + "\n")

    where = subprocess.run(
        [str(python), "-c", "import errscope; print(errscope.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(str(site))
    done = subprocess.run(
        [str(venv / "bin" / "errscope"), "analyze", str(SAMPLE), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["inputs"]["rows_analysed"] > 0
    assert report["registry"]["name"] == "lobehub-default"
    assert "errscope/queries/registry-export-by-pattern.sql" in names
    exported = subprocess.run(
        [str(venv / "bin" / "errscope"), "registry", "export", "--dialect", "postgres"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert exported.returncode == 0, exported.stderr
    assert "CROSS JOIN LATERAL" in exported.stdout
