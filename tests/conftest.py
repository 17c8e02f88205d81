"""Shared helpers: small registries, running the CLI in-process, writing input files."""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "cli"))
sys.path.insert(0, str(ROOT / "tests"))
# Caches (compiled patterns, matches, counted groups) live in a folder of this test session,
# so no run depends on what an earlier session left behind.
os.environ.setdefault("ERRSCOPE_CACHE_DIR", tempfile.mkdtemp(prefix="errscope-test-cache-"))

from errscope.cli import main  # noqa: E402
from errscope.registry import Registry, parse_registry  # noqa: E402

CODES = """
[registry]
name = "test"
version = "1"

[codes.InvalidProviderAPIKey]
id = "E1001"
category = "auth"
attribution = "user"

[codes.InsufficientQuota]
id = "E2001"
category = "quota"
attribution = "user"

[codes.RateLimitExceeded]
id = "E3001"
category = "capacity"
attribution = "provider"
retryable = true

[codes.ProviderServiceUnavailable]
id = "E3002"
category = "capacity"
attribution = "provider"
retryable = true

[codes.ProviderNetworkError]
id = "E6001"
category = "network"
attribution = "system"
retryable = true

[codes.DatabasePersistError]
id = "E7004"
category = "stream"
attribution = "harness"
count_as_failure = true
fallback = true

[codes.AgentRuntimeError]
id = "E8001"
category = "provider"
attribution = "harness"
count_as_failure = true
fallback = true

[codes.ProviderBizError]
id = "E8002"
category = "provider"
attribution = "provider"
count_as_failure = true
fallback = true

[codes.UpstreamHttpError]
id = "E8013"
category = "provider"
attribution = "provider"
count_as_failure = true
fallback = true

[aliases]
QuotaLimitReached = "RateLimitExceeded"

[refinement]
pattern_refinable = ["AgentRuntimeError", "ProviderBizError", "UpstreamHttpError", "500"]
status_refinable = ["ProviderBizError"]
leading_status = true
status_map = [
  { status = 429, code = "RateLimitExceeded" },
  { status = 402, code = "InsufficientQuota" },
  { from = 500, to = 599, code = "ProviderServiceUnavailable" },
  { from = 400, to = 499, code = "UpstreamHttpError" },
]
"""


def make_registry(patterns: str = "", codes: str = CODES) -> Registry:
    """A registry from the test codes plus the given [[patterns]] TOML."""
    return parse_registry(codes + "\n" + patterns, origin="test.toml")


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `errscope ARGS` in-process; stdout, stderr and exit status come back apart."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(int(code), captured.out, captured.err)

    return run


def write_jsonl(path: Path, rows: Iterable[object], *, gz: bool = False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if gz:
        path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def lobehub_row(n: int, type_: object, message: str, **extra: object) -> dict[str, object]:
    body = extra.pop("body", None)
    error: dict[str, object] = {"type": type_, "message": message}
    if body is not None:
        error["body"] = body
    row: dict[str, object] = {
        "id": f"op_{n}",
        "created_at": f"2026-11-{(n % 20) + 1:02d}T10:00:00.000Z",
        "provider": extra.pop("provider", "openai"),
        "model": "gpt-4o",
        "trigger": "chat",
        "user_id": "user_1",
        "status": "error",
        "error": error,
    }
    row.update(extra)
    return row


@pytest.fixture(scope="session")
def postgres():  # type: ignore[no-untyped-def]
    """A throwaway PostgreSQL cluster on loopback for the whole session (see tests/pg_cluster.py).

    Skips when the machine has no server binaries, unless ERRSCOPE_REQUIRE_POSTGRES=1 (CI).
    """
    import os

    import pg_cluster

    if pg_cluster.find_bindir() is None:
        if os.environ.get("ERRSCOPE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries not found (ERRSCOPE_REQUIRE_POSTGRES=1)")
        pytest.skip("PostgreSQL server binaries not found")
    cluster = pg_cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
