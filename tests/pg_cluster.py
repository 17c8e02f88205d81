"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, loopback only, stopped
at the end of the session.

Uses the server binaries of the machine (Debian's `postgresql` package; `.ci/run` installs it when
missing). As root, the cluster runs as the `postgres` user, since PostgreSQL refuses to run as root.
`ERRSCOPE_REQUIRE_POSTGRES=1` (set by `.ci/run`) turns "no server binaries" into a failure instead
of a skip, so CI never passes by skipping the database tests.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "errscope"
PASSWORD = "s3cret-pw-not-shown"
DATABASE = "errscope"


@dataclass
class Cluster:
    """A running cluster: its folder, port, and the URL of the test database."""

    folder: Path
    port: int
    bindir: Path
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"

    def url_without_password(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def stop(self) -> None:
        _run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            self.run_as,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], run_as: str | None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, user=run_as, check=check, capture_output=True, text=True, timeout=120
    )


def start() -> Cluster:
    """initdb + pg_ctl start on a free loopback port, password authentication (scram)."""
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb) not found")
    run_as = None
    if os.geteuid() == 0:
        run_as = "postgres" if _user_exists("postgres") else "nobody"
    folder = Path(tempfile.mkdtemp(prefix="errscope-pg-"))
    (folder / "pw").write_text(PASSWORD + "\n")
    (folder / "sock").mkdir()
    if run_as is not None:
        uid = pwd.getpwnam(run_as).pw_uid
        for path in (folder, folder / "pw", folder / "sock"):
            os.chown(path, uid, -1)
    port = _free_port()
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            USER,
            f"--pwfile={folder / 'pw'}",
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ],
        run_as,
    )
    options = (
        f"-p {port} -k {folder / 'sock'} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    _run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ],
        run_as,
    )
    cluster = Cluster(folder=folder, port=port, bindir=bindir, run_as=run_as)
    env = dict(os.environ, PGPASSWORD=PASSWORD)
    subprocess.run(
        [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return cluster


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
