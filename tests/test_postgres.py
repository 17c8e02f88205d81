"""Reading from PostgreSQL: the sample loaded into a real server gives the file's golden outputs;
the window and columns are pushed down; PG* variables and service files work; every failure is
one line, exit 3, and the password never shows."""

from __future__ import annotations

import json
import os
import socket
import traceback
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pg_cluster
import pg_sample
from errscope.cli import main
from errscope.errors import InputError
from errscope.loader import LoadOptions, connect, load
from errscope.mapping import build_mapping
from errscope.postgres import (
    Column,
    TableInfo,
    database_input,
    fetch,
    plan,
    redact,
    secrets,
)
from test_golden import CASES, GOLDEN, OLD_REGISTRY, ROOT, SAMPLE

PASSWORD = pg_cluster.PASSWORD
DATABASE = "errscope_read"  # our own database in the session cluster


def _admin(url: str, *statements: str) -> list[tuple[object, ...]]:
    import adbc_driver_postgresql.dbapi as adbc

    rows: list[tuple[object, ...]] = []
    with adbc.connect(url, autocommit=True) as con, con.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
            if cur.description:
                rows = cur.fetchall()
    return rows


@pytest.fixture(scope="module")
def pg(postgres):  # type: ignore[no-untyped-def]
    """The session cluster with database errscope_read holding the sample as agent_operations."""
    _admin(postgres.url, f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}")
    url = postgres.url.rsplit("/", 1)[0] + f"/{DATABASE}"
    assert pg_sample.load(url, ROOT / SAMPLE) == 20000
    _admin(
        url,
        "CREATE SCHEMA lobe",
        'CREATE TABLE lobe."Agent Ops" (LIKE agent_operations INCLUDING ALL)',
        'INSERT INTO lobe."Agent Ops" SELECT * FROM agent_operations',
        "CREATE TABLE no_error_column (id text, created_at timestamptz)",
        # created_at nullable and stored as text: the window cannot be pushed down.
        "CREATE TABLE text_times AS SELECT id, created_at::text AS created_at, error, provider, "
        "model, trigger, user_id FROM agent_operations",
    )
    return _Server(url=url, port=postgres.port)


class _Server:
    def __init__(self, url: str, port: int) -> None:
        self.url = url
        self.port = port

    @property
    def label(self) -> str:
        return redact(self.url)


def _no_password(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert "s3cret" not in text


# ---------------------------------------------------------------------------------------------
# The same golden outputs as from the file


# Every report command from the sample, as a table and as JSON (the other formats render the same
# report and are covered by test_golden.py).
PG_CASES = [
    (name, args) for name, args in CASES if SAMPLE in args and args[-1] in ("table", "json")
]


@pytest.mark.parametrize(("name", "args"), PG_CASES, ids=[c[0] for c in PG_CASES])
def test_golden_from_postgres(cli, pg: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    args = [pg.url if a == SAMPLE else a for a in args]
    if args[-1] == "parquet":
        target = tmp_path / "out.parquet"
        run = cli(*args, "--report-out" if args[0] == "diff" else "--out", str(target))
        actual = json.dumps(pq.read_table(target).to_pylist(), indent=1, ensure_ascii=False,
                            default=str) + "\n"
    else:
        run = cli(*args)
        actual = run.out
    assert run.code == 0, run.err
    _no_password(run.out, run.err, actual)
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert actual.replace(pg.label, SAMPLE) == expected, f"{name} differs from the file's golden"


@pytest.mark.parametrize("layout", ["per-week", "single"])
def test_golden_weekly_from_postgres(cli, pg: _Server, tmp_path: Path, layout: str) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", pg.url, "--weekly", "--out-dir", str(tmp_path), "--layout", layout)
    assert run.code == 0, run.err
    _no_password(run.out, run.err)
    golden = GOLDEN / f"weekly-{layout}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in golden.iterdir())
    for path in tmp_path.iterdir():
        assert path.read_text("utf-8") == (golden / path.name).read_text("utf-8"), path.name


def test_golden_check_from_postgres(cli, pg: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    baseline = tmp_path / "baseline.json"
    made = cli("baseline", pg.url, "-o", str(baseline), "--registry", OLD_REGISTRY)
    assert made.code == 0, made.err
    run = cli("check", pg.url, "--baseline", str(baseline), "--corpus",
              "fixtures/golden-corpus.jsonl", "--format", "json", "--max-code-loss", "0.01")
    assert run.code in (0, 1), run.err
    _no_password(run.out, run.err, baseline.read_text("utf-8"))
    expected = (GOLDEN / "check.json").read_text(encoding="utf-8")
    assert run.out.replace(str(baseline), "BASELINE") == expected


def test_residual_patterns_file_names_the_database_without_password(cli, pg: _Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "suggested.toml"
    run = cli("residuals", pg.url, "--suggest", "2", "--emit-patterns", str(target))
    assert run.code == 0, run.err
    text = target.read_text("utf-8")
    assert f"input: {pg.label}" in text
    _no_password(run.out, run.err, text)


def test_schema_qualified_quoted_table(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    from_file = json.loads(cli("analyze", str(ROOT / SAMPLE), "-f", "json").out)
    run = cli("analyze", pg.url, "--table", 'lobe."Agent Ops"', "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    for key in ("inputs", "fallback", "codes", "reclassifications", "sources", "time_span"):
        if key == "inputs":
            assert data[key]["rows_read"] == from_file[key]["rows_read"] == 20000
        else:
            assert data[key] == from_file[key], key


def test_a_file_and_a_database_together(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    sample = str(ROOT / SAMPLE)
    alone = json.loads(cli("analyze", sample, "-f", "json").out)
    run = cli("analyze", sample, pg.url, "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["inputs"]["files"] == [sample, pg.label]
    assert data["inputs"]["rows_read"] == 40000
    assert data["inputs"]["rows_skipped"] == {"no error recorded": 2 * 574}
    assert [(c["code"], c["rows_rerun"]) for c in data["codes"]] == [
        (c["code"], 2 * c["rows_rerun"]) for c in alone["codes"]
    ]


# ---------------------------------------------------------------------------------------------
# Pushdown: only the window's rows with an error, and only the needed columns, travel


def _window_counts(url: str, since: str, until: str) -> tuple[int, int]:
    rows = _admin(
        url,
        "SELECT count(*) FILTER (WHERE error IS NOT NULL), count(*) FILTER (WHERE error IS NULL) "
        f"FROM agent_operations WHERE created_at >= '{since}+00' AND created_at < '{until}+00'",
    )
    return int(rows[0][0]), int(rows[0][1])  # type: ignore[call-overload]


def test_window_and_columns_are_pushed_down(pg: _Server) -> None:
    since, until = "2026-11-01 00:00:00", "2026-11-08 00:00:00"
    options = LoadOptions(since=datetime.fromisoformat(since), until=datetime.fromisoformat(until))
    con = connect()
    fetched = fetch(con, database_input(pg.url), options)
    query = fetched.plan.query
    assert fetched.plan.window_pushed_down and fetched.plan.errors_only
    assert "\"created_at\" >= TIMESTAMPTZ '2026-11-01 00:00:00+00'" in query
    assert "\"created_at\" < TIMESTAMPTZ '2026-11-08 00:00:00+00'" in query
    assert '"error" IS NOT NULL' in query
    # created_at is NOT NULL: the later timestamp candidates are never read.
    assert set(fetched.plan.columns) == {
        "id", "created_at", "error", "provider", "model", "trigger", "user_id"
    }
    assert '"error"::text' in query and "metadata" not in query
    with_error, without_error = _window_counts(pg.url, since, until)
    assert 0 < with_error < 20000
    assert (fetched.rows_fetched, fetched.rows_without_error) == (with_error, without_error)


def test_window_from_postgres_analyses_the_same_rows_as_the_file(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    window = ("--since", "2026-11-01", "--until", "2026-11-08T12:00:00Z")
    from_file = json.loads(cli("analyze", str(ROOT / SAMPLE), *window, "-f", "json").out)
    run = cli("analyze", pg.url, *window, "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    for key in ("fallback", "codes", "reclassifications", "sources", "time_span", "steps"):
        assert data[key] == from_file[key], key
    inputs = data["inputs"]
    assert inputs["rows_analysed"] == from_file["inputs"]["rows_analysed"]
    # Rows outside the window stay on the server: they are not read, so not counted.
    assert set(inputs["rows_skipped"]) == {"no error recorded"}
    assert inputs["rows_read"] == sum(_window_counts(pg.url, "2026-11-01 00:00:00",
                                                     "2026-11-08 12:00:00"))


def test_text_timestamps_are_filtered_after_reading(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    window = ("--since", "2026-11-01", "--until", "2026-11-08")
    from_file = json.loads(cli("analyze", str(ROOT / SAMPLE), *window, "-f", "json").out)
    con = connect()
    options = LoadOptions(since=datetime(2026, 11, 1), until=datetime(2026, 11, 8),
                          table="text_times")
    fetched = fetch(con, database_input(pg.url), options)
    assert not fetched.plan.window_pushed_down and "created_at\" >=" not in fetched.plan.query
    run = cli("analyze", pg.url, "--table", "text_times", *window, "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["inputs"]["rows_analysed"] == from_file["inputs"]["rows_analysed"]
    assert data["codes"] == from_file["codes"]
    assert data["inputs"]["rows_read"] == 20000


def test_progress_reports_fetching(pg: _Server) -> None:
    seen: list[tuple[str, float]] = []
    con = connect()
    report = load(con, [pg.url], progress=lambda stage, done: seen.append((stage, done)))
    assert report.rows_read == 20000
    fetching = [done for stage, done in seen if stage == "fetching"]
    assert fetching and fetching[-1] == 1.0 and fetching == sorted(fetching)


def test_plan_coalesces_nullable_timestamps_and_skips_other_types() -> None:
    def table(**types: tuple[str, bool]) -> TableInfo:
        return TableInfo('public."t"', {n: Column(n, t, nn) for n, (t, nn) in types.items()})

    base = {"id": ("text", True), "error": ("jsonb", False)}
    window = LoadOptions(since=datetime(2026, 11, 1), until=None)
    made = plan(table(**base, created_at=("timestamptz", False), started_at=("timestamp", False),
                      updated_at=("date", True)), window)
    assert made.window_pushed_down
    assert ("coalesce(\"created_at\", (\"started_at\" AT TIME ZONE 'UTC'), "
            "(\"updated_at\"::timestamp AT TIME ZONE 'UTC')) >= "
            "TIMESTAMPTZ '2026-11-01 00:00:00+00'") in made.query
    assert made.mapping.paths["timestamp"] == (
        "created_at", "started_at", "completed_at", "updated_at"  # "timestamp" never read
    )
    text = plan(table(**base, created_at=("text", True)), window)
    assert not text.window_pushed_down and "WHERE \"error\" IS NOT NULL" in text.query
    nested = LoadOptions(mapping=build_mapping({"timestamp": "error.at"}), since=datetime(2026, 1, 1))
    assert not plan(table(**base), nested).window_pushed_down
    no_window = plan(table(**base, created_at=("timestamptz", True)), LoadOptions())
    assert no_window.count_query == (
        'SELECT count(*) FILTER (WHERE "error" IS NULL), count(*) FROM public."t"'
    )


# ---------------------------------------------------------------------------------------------
# Credentials: URL, PG* variables, service file, password file


def test_pg_environment_variables(cli, pg: _Server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for name, value in (("PGHOST", "127.0.0.1"), ("PGPORT", str(pg.port)),
                        ("PGUSER", pg_cluster.USER), ("PGPASSWORD", PASSWORD),
                        ("PGDATABASE", DATABASE)):
        monkeypatch.setenv(name, value)
    run = cli("analyze", "postgresql://", "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["inputs"]["rows_analysed"] == 19426
    _no_password(run.out, run.err)


def test_service_file(cli, pg: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    service = tmp_path / "pg_service.conf"
    service.write_text(
        f"[errscope-test]\nhost=127.0.0.1\nport={pg.port}\nuser={pg_cluster.USER}\n"
        f"password={PASSWORD}\ndbname={DATABASE}\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(service))
    run = cli("analyze", "postgresql://?service=errscope-test", "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["inputs"]["files"] == ["postgresql://?service=errscope-test"]
    assert data["inputs"]["rows_analysed"] == 19426
    _no_password(run.out, run.err)


def test_password_file(cli, pg: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg.port}:{DATABASE}:{pg_cluster.USER}:{PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    run = cli("sources", pg.label, "-f", "json")
    assert run.code == 0, run.err
    _no_password(run.out, run.err)


def test_redact_and_secrets() -> None:
    url = "postgresql://ann:p%40ss@db.example:5432,db2:5433/ops?sslmode=require&password=x2&a=b"
    assert redact(url) == "postgresql://ann@db.example:5432,db2:5433/ops?sslmode=require&a=b"
    assert set(secrets(url)) >= {"p%40ss", "p@ss", "x2"}
    assert redact("postgresql://db/ops") == "postgresql://db/ops"
    assert redact("postgres://u:pw@h") == "postgres://u@h"
    assert redact("postgresql://?service=x&password=y") == "postgresql://?service=x"


@pytest.mark.parametrize("password", ["pa/ss-word", "pa?ss-word", "pa@ss-word", "pa#ss-word"])
def test_unencoded_password_is_refused_before_connecting(cli, password: str) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", f"postgresql://ann:{password}@127.0.0.1:{_closed_port()}/db")
    _fails(run, "unencoded")
    for piece in ("pa/", "pa?", "pa@", "pa#", "ss-word"):
        assert piece not in run.err


# ---------------------------------------------------------------------------------------------
# Failures: one line and a hint on stderr, nothing on stdout, exit 3, never the password


def _fails(run, *expected: str) -> None:  # type: ignore[no-untyped-def]
    assert run.code == 3, run.err
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("errscope: error: "), run.err
    assert lines[1].startswith("hint: ")
    for text in expected:
        assert text in lines[0], run.err
    _no_password(run.out, run.err)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused(cli) -> None:  # type: ignore[no-untyped-def]
    port = _closed_port()
    run = cli("analyze", f"postgresql://errscope:{PASSWORD}@127.0.0.1:{port}/errscope")
    _fails(run, "cannot connect to PostgreSQL", "127.0.0.1", str(port), "Connection refused")


def test_wrong_password(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    url = pg.url.replace(PASSWORD, "wrong-" + PASSWORD)
    run = cli("analyze", url)
    _fails(run, "password authentication failed", pg.label)
    assert "wrong-" not in run.err


def test_unparsable_password_is_scrubbed(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    # libpq quotes the offending token, which here is the password itself.
    url = pg.url.replace(PASSWORD, "s3cret%zz" + PASSWORD)
    run = cli("diff", url)
    _fails(run, "percent-encoded")
    assert "%zz" not in run.err


def test_missing_table(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", pg.url, "--table", "analytics.nosuch")
    _fails(run, "no table analytics.nosuch", pg.label)
    assert "--table" in run.err.splitlines()[1]


def test_missing_mapped_column(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    run = cli("sources", pg.url, "--map", "message=msg_text")
    _fails(run, "has no column msg_text", "--map message=msg_text")
    assert "--map" in run.err.splitlines()[1] and "created_at" in run.err.splitlines()[1]


def test_missing_error_column(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", pg.url, "--table", "no_error_column")
    _fails(run, "has no column error")


def test_no_select_privilege(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    _admin(pg.url, "DROP ROLE IF EXISTS errscope_nobody",
           f"CREATE ROLE errscope_nobody LOGIN PASSWORD '{PASSWORD}'")
    url = pg.url.replace(f"{pg_cluster.USER}:", "errscope_nobody:")
    run = cli("analyze", url)
    _fails(run, "cannot read agent_operations", "permission denied")
    assert "GRANT" in run.err.splitlines()[1].upper()


def test_missing_database(cli, pg: _Server) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", pg.url.replace(f"/{DATABASE}", "/nosuchdb"))
    _fails(run, 'database "nosuchdb" does not exist')


def test_table_option_needs_a_database_input(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("analyze", str(ROOT / SAMPLE), "--table", "x")
    assert run.code == 2 and "--table applies to postgresql:// inputs only" in run.err


def test_debug_traceback_never_shows_the_password(pg: _Server, capsys: pytest.CaptureFixture[str]) -> None:
    url = pg.url.replace(PASSWORD, "s3cret%zz" + PASSWORD)
    with pytest.raises(InputError) as caught:
        main(["--debug", "analyze", url])
    shown = "".join(traceback.format_exception(caught.value))
    assert "percent-encoded" in shown  # the driver's own words, scrubbed, are the cause
    _no_password(shown, *capsys.readouterr())


def test_environment_password_is_scrubbed_too(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    run = cli("analyze", f"postgresql://errscope@127.0.0.1:{_closed_port()}/errscope")
    _fails(run, "Connection refused")
    assert os.environ["PGPASSWORD"] not in run.err
