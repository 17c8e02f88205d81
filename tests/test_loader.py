"""Loading: shapes, formats sniffed from content, folders and globs, accounting, filters."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import lobehub_row, write_jsonl
from errscope.errors import InputError, QueryError
from errscope.loader import LoadOptions, SourceRule, connect, load
from errscope.mapping import build_mapping


def loaded(paths: list[str], **options: object) -> tuple[dict[str, int], list[tuple]]:
    con = connect()
    report = load(con, paths, LoadOptions(**options))  # type: ignore[arg-type]
    rows = con.execute(
        "SELECT id, type, message, status, provider, source FROM rows ORDER BY id"
    ).fetchall()
    assert report.rows_read == report.rows_analysed + sum(report.skipped.values())
    return report.dispositions, rows


def test_error_as_object_and_as_json_string(tmp_path: Path) -> None:
    obj = lobehub_row(1, "ProviderBizError", "boom", body={"status": 429})
    text = lobehub_row(2, 500, "crash", body={"statusCode": 503})
    text["error"] = json.dumps(text["error"])
    counts, rows = loaded([str(write_jsonl(tmp_path / "a.jsonl", [obj, text]))])
    assert counts == {"analysed": 2}
    assert rows == [
        ("op_1", "ProviderBizError", "boom", 429, "openai", "unknown"),
        ("op_2", "500", "crash", 503, "openai", "unknown"),
    ]


def test_structured_status_order(tmp_path: Path) -> None:
    rows = [
        lobehub_row(
            1,
            "ProviderBizError",
            "m",
            body={"status": 429, "statusCode": 500, "error": {"status": 402}},
        ),
        lobehub_row(2, "ProviderBizError", "m", body={"statusCode": 500, "error": {"status": 402}}),
        lobehub_row(3, "ProviderBizError", "m", body={"error": {"status": 402}}),
        lobehub_row(4, "ProviderBizError", "m", body={"error": {"status": "RESOURCE_EXHAUSTED"}}),
        lobehub_row(5, "ProviderBizError", "m", body={"status": "429"}),
    ]
    _, got = loaded([str(write_jsonl(tmp_path / "s.jsonl", rows))])
    assert [r[3] for r in got] == [429, 500, 402, None, 429]


def test_http_status_of_lobehub_client_is_not_the_upstream_status(tmp_path: Path) -> None:
    row = lobehub_row(1, "ProviderBizError", "m")
    row["error"]["httpStatus"] = 471  # type: ignore[index]
    _, got = loaded([str(write_jsonl(tmp_path / "h.jsonl", [row]))])
    assert got[0][3] is None


def test_gzip_json_array_and_parquet_sniffed_from_content(tmp_path: Path) -> None:
    rows = [lobehub_row(i, "ProviderBizError", f"m{i}") for i in range(3)]
    write_jsonl(tmp_path / "a.data", rows[:1], gz=True)  # gzip JSONL with no telling suffix
    (tmp_path / "b.json").write_text(json.dumps(rows[1:2]))
    table = pa.Table.from_pylist(rows[2:])
    pq.write_table(table, tmp_path / "c.bin")  # parquet with a wrong suffix
    counts, got = loaded(
        [str(tmp_path / "a.data"), str(tmp_path / "b.json"), str(tmp_path / "c.bin")]
    )
    assert counts == {"analysed": 3}
    assert [r[2] for r in got] == ["m0", "m1", "m2"]


def test_parquet_with_error_as_string(tmp_path: Path) -> None:
    rows = [lobehub_row(1, "ProviderBizError", "m", body={"status": 503})]
    rows[0]["error"] = json.dumps(rows[0]["error"])
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "x.parquet")
    _, got = loaded([str(tmp_path / "x.parquet")])
    assert got == [("op_1", "ProviderBizError", "m", 503, "openai", "unknown")]


def test_folders_globs_and_hive_layouts(tmp_path: Path) -> None:
    for day in ("2026-11-01", "2026-11-02"):
        folder = tmp_path / f"dt={day}"
        folder.mkdir()
        pq.write_table(
            pa.Table.from_pylist([lobehub_row(int(day[-1]), "ProviderBizError", day)]),
            folder / "part-0.parquet",
        )
    write_jsonl(tmp_path / "extra.jsonl", [lobehub_row(9, "X", "j")])
    (tmp_path / "README.txt").write_text("not data")
    counts, _ = loaded([str(tmp_path)])
    assert counts == {"analysed": 3}
    counts, _ = loaded([str(tmp_path / "dt=*" / "*.parquet")])
    assert counts == {"analysed": 2}


def test_rows_without_error_are_counted_and_left_out(tmp_path: Path) -> None:
    rows = [
        lobehub_row(1, "ProviderBizError", "m"),
        {"id": "op_2", "status": "done", "error": None},
        {"id": "op_3", "status": "done"},
        {"id": "op_4", "status": "error", "error": {"body": {}}},
    ]
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    path.write_text(path.read_text() + "\n   \n")
    counts, _ = loaded([str(path)])
    assert counts == {
        "analysed": 1,
        "no error recorded": 2,
        "error without type or message": 1,
        "blank line": 2,
    }


def test_malformed_line_stops_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps(lobehub_row(1, "ProviderBizError", "m"))
    path.write_text(f'{good}\n{good}\n{{"id": "op_3", oops\n{good}\n[1, 2]\n')
    with pytest.raises(InputError) as info:
        loaded([str(path)])
    assert f"{path}:3" in info.value.message and "2 malformed in all" in info.value.message
    assert "--skip-bad-rows" in (info.value.hint or "")


def test_skip_bad_rows_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps(lobehub_row(1, "ProviderBizError", "m"))
    path.write_text(f"{good}\nnot json\n{good}\n")
    con = connect()
    report = load(con, [str(path)], LoadOptions(skip_bad_rows=True))
    assert report.dispositions == {"analysed": 2, "malformed row": 1}
    assert [(b.line, b.text) for b in report.bad_rows] == [(2, "not json")]


def test_empty_file_reads_as_zero_rows(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    counts, rows = loaded([str(tmp_path / "empty.jsonl")])
    assert counts == {} and rows == []


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("x.jsonl", b"hello world\n", "not JSON Lines, a JSON array or Parquet"),
        ("x.jsonl.gz", gzip.compress(b'{"a":1}\n')[:12], "gzip data is corrupt or truncated"),
    ],
)
def test_unreadable_inputs(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as info:
        loaded([str(tmp_path / name)])
    assert expected in info.value.message


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        loaded([str(tmp_path / "missing.jsonl")])
    with pytest.raises(InputError, match="no file matches"):
        loaded([str(tmp_path / "*.parquet")])


def test_codes_without_spec_load_under_their_own_name(tmp_path: Path) -> None:
    rows = [lobehub_row(1, 500, "a"), lobehub_row(2, "pg_23505", "b"), lobehub_row(3, "Weird", "c")]
    _, got = loaded([str(write_jsonl(tmp_path / "a.jsonl", rows))])
    assert [r[1] for r in got] == ["500", "pg_23505", "Weird"]


def test_column_mapping_for_other_shapes(tmp_path: Path) -> None:
    rows = [
        {
            "rid": "r1",
            "err_code": "ProviderBizError",
            "err_msg": "429 slow down",
            "http": 429,
            "vendor": "groq",
            "key_source": "BYOK",
            "when": "2026-11-03T01:02:03Z",
        }
    ]
    mapping = build_mapping(
        {
            "id": "rid",
            "type": "err_code",
            "message": "err_msg",
            "status": "http",
            "provider": "vendor",
            "source": "key_source",
            "timestamp": "when",
        }
    )
    con = connect()
    load(con, [str(write_jsonl(tmp_path / "o.jsonl", rows))], LoadOptions(mapping=mapping))
    got = con.execute("SELECT id, type, message, status, provider, source, ts FROM rows").fetchall()
    assert got[0][:6] == ("r1", "ProviderBizError", "429 slow down", 429, "groq", "byok")
    assert got[0][6].isoformat() == "2026-11-03T01:02:03"


def test_since_until_and_where(tmp_path: Path) -> None:
    from datetime import datetime

    rows = [
        lobehub_row(i, "ProviderBizError", f"m{i}", provider=p)
        for i, p in enumerate(["openai", "anthropic", "openai", "lobehub"])
    ]
    path = str(write_jsonl(tmp_path / "a.jsonl", rows))
    counts, got = loaded([path], since=datetime(2026, 11, 2), until=datetime(2026, 11, 4))
    assert counts == {"analysed": 2, "before --since": 1, "at or after --until": 1}
    counts, got = loaded([path], where="provider = 'openai' AND message LIKE 'm%'")
    assert counts == {"analysed": 2, "excluded by --where": 2}
    assert [r[5] for r in loaded([path])[1]] == ["unknown", "unknown", "unknown", "platform"]


@pytest.mark.parametrize(
    "where",
    [
        "provider = (SELECT 'x')",
        "read_text('/etc/passwd') IS NOT NULL",
        "nosuchcolumn = 1",
        "1=1; DROP TABLE staged",
        "provider = 'a' UNION SELECT 1",
        "",
    ],
)
def test_unsafe_or_invalid_where_is_refused(tmp_path: Path, where: str) -> None:
    path = str(write_jsonl(tmp_path / "a.jsonl", [lobehub_row(1, "X", "m")]))
    with pytest.raises(QueryError):
        loaded([path], where=where)


def test_source_rules_never_guess_silently(tmp_path: Path) -> None:
    rows = [
        lobehub_row(1, "X", "m", provider="lobehub"),
        lobehub_row(2, "X", "m", provider="openai"),
        {**lobehub_row(3, "X", "m", provider="openai"), "source": "platform"},
    ]
    path = str(write_jsonl(tmp_path / "a.jsonl", rows))
    con = connect()
    load(con, [path], LoadOptions(source_rules=(SourceRule("provider <> 'lobehub'", "byok"),)))
    got = con.execute("SELECT id, source, source_how FROM rows ORDER BY id").fetchall()
    assert got == [
        ("op_1", "unknown", "no source column and no rule"),
        ("op_2", "byok", "rule 1: provider <> 'lobehub' => byok"),
        ("op_3", "platform", "source column"),
    ]


def test_parquet_json_column_holding_objects_and_json_strings(tmp_path: Path) -> None:
    con = connect()
    rows = [
        lobehub_row(1, "ProviderBizError", "as object", body={"status": 429}),
        lobehub_row(2, "ProviderBizError", "as string", body={"status": 503}),
    ]
    rows[1]["error"] = json.dumps(rows[1]["error"])
    rows.append({"id": "op_3", "error": None})
    source = write_jsonl(tmp_path / "m.jsonl", rows)
    target = tmp_path / "m.parquet"
    con.execute(
        f"COPY (SELECT id, created_at, provider, error::JSON AS error FROM read_json('{source}', "
        f"columns={{'id': 'VARCHAR', 'created_at': 'VARCHAR', 'provider': 'VARCHAR', 'error': 'JSON'}})) "
        f"TO '{target}' (FORMAT parquet)"
    )
    counts, got = loaded([str(target)])
    assert counts == {"analysed": 2, "no error recorded": 1}
    assert [(r[2], r[3]) for r in got] == [("as object", 429), ("as string", 503)]


def test_two_scans_of_classified_keep_stored_and_rerun_apart(tmp_path: Path) -> None:
    """DuckDB 2.0's common-subplan optimizer once merged the stored-code and re-run-code joins
    of `classified` when two CTEs scanned it: connect() disables it."""
    from errscope.loader import connect, load
    from errscope.registry import load_registry
    from errscope.rerun import rerun

    rows = [
        lobehub_row(
            1,
            "ProviderBizError",
            "429 You exceeded your current quota, please check your plan and billing details.",
        ),
        lobehub_row(2, "InsufficientQuota", "Insufficient credits"),
    ]
    dump = write_jsonl(tmp_path / "d.jsonl", rows)
    con = connect()
    load(con, [str(dump)])
    rerun(con, load_registry())
    found = con.execute(
        "WITH a AS (SELECT stored_category AS k, count(*) AS n FROM classified GROUP BY 1), "
        "b AS (SELECT new_category AS k, count(*) AS n FROM classified GROUP BY 1) "
        "SELECT k, a.n, b.n FROM a FULL JOIN b USING (k) ORDER BY k"
    ).fetchall()
    assert found == [("provider", 1, None), ("quota", 1, 2)]


@pytest.mark.parametrize("gzipped", [False, True])
def test_lines_that_are_not_utf8_are_malformed_rows(tmp_path: Path, gzipped: bool) -> None:
    # A message cut in the middle of a character, or a line in another encoding: DuckDB cannot
    # read it as text. It is a malformed row like any other, never dropped silently, and the
    # rows after it keep their line numbers.
    good = json.dumps(lobehub_row(1, "ProviderBizError", "m")).encode()
    cut = json.dumps(lobehub_row(2, "ProviderBizError", "quota é")).encode()[:-4] + b'"}}'
    latin = json.dumps(lobehub_row(3, "ProviderBizError", "x")).encode().replace(b"x", b"\xe9")
    content = b"\n".join([good, cut, good, b"not json", b"", latin, good, b"[1]", good]) + b"\n"
    path = tmp_path / ("bad.jsonl.gz" if gzipped else "bad.jsonl")
    path.write_bytes(gzip.compress(content) if gzipped else content)
    with pytest.raises(InputError) as info:
        loaded([str(path)])
    assert f"{path}:2" in info.value.message and "4 malformed in all" in info.value.message
    con = connect()
    report = load(con, [str(path)], LoadOptions(skip_bad_rows=True))
    assert report.dispositions == {"analysed": 4, "malformed row": 4, "blank line": 1}
    assert [b.line for b in load(con, [str(path)], LoadOptions(skip_bad_rows=True)).bad_rows] == [
        2,
        4,
        6,
        8,
    ]
    assert report.bad_rows[0].text.startswith('{"id": "op_2"')


def test_a_line_that_is_not_utf8_among_the_first_rows_does_not_stop_detection(
    tmp_path: Path,
) -> None:
    path = tmp_path / "first.jsonl"
    good = json.dumps(lobehub_row(1, "ProviderBizError", "m")).encode()
    path.write_bytes(good + b'\n{"error": {"message": "caf\xe9"}}\n' + good + b"\n")
    report = load(connect(), [str(path)], LoadOptions(skip_bad_rows=True))
    assert report.dispositions == {"analysed": 2, "malformed row": 1}
    assert [b.line for b in report.bad_rows] == [2]


def _binary_parquet(path: Path, errors: list[bytes], providers: list[bytes]) -> Path:
    """Text written as plain BINARY columns, as older Hive, Go and Spark writers do."""
    table = pa.table(
        {
            "id": [f"op_{i}" for i in range(len(errors))],
            "created_at": ["2026-11-02T10:00:00Z"] * len(errors),
            "provider": pa.array(providers, pa.binary()),
            "error": pa.array(errors, pa.binary()),
        }
    )
    pq.write_table(table, path)
    return path


def test_parquet_text_stored_as_binary_is_read_as_text(tmp_path: Path) -> None:
    path = _binary_parquet(
        tmp_path / "binary.parquet",
        [
            json.dumps({"type": "ProviderBizError", "message": "café quota", "body": {"status": 429}}).encode(),
            b"plain text message",
            b"",
        ],
        [b"openai", b"lobehub", b"openai"],
    )
    counts, rows = loaded([str(path)])
    assert counts == {"analysed": 2, "no error recorded": 1}
    assert rows == [
        ("op_0", "ProviderBizError", "café quota", 429, "openai", "unknown"),
        ("op_1", None, "plain text message", None, "lobehub", "platform"),
    ]


def test_parquet_binary_text_that_is_not_utf8_is_a_malformed_row(tmp_path: Path) -> None:
    good = json.dumps({"type": "ProviderBizError", "message": "m"}).encode()
    path = _binary_parquet(
        tmp_path / "latin1.parquet", [good, b'{"message": "caf\xe9"}', good], [b"openai"] * 3
    )
    with pytest.raises(InputError) as info:
        loaded([str(path)])
    assert "malformed row in the input (1 malformed in all)" in info.value.message
    counts, _ = loaded([str(path)], skip_bad_rows=True)
    assert counts == {"analysed": 2, "malformed row": 1}
    # Read with a JSON Lines file, the Parquet rows take the row-by-row path: the same count.
    jsonl = write_jsonl(tmp_path / "more.jsonl", [lobehub_row(9, "ProviderBizError", "m")])
    counts, _ = loaded([str(path), str(jsonl)], skip_bad_rows=True)
    assert counts == {"analysed": 3, "malformed row": 1}


def test_parquet_struct_fields_stored_as_binary_are_read_as_text(tmp_path: Path) -> None:
    error = pa.struct([("type", pa.binary()), ("message", pa.binary())])
    table = pa.table(
        {
            "id": ["op_0", "op_1", "op_2"],
            "error": pa.array(
                [
                    {"type": b"ProviderBizError", "message": "café".encode()},
                    {"type": b"ProviderBizError", "message": b"caf\xe9"},
                    {"type": b"ProviderBizError", "message": b"quota"},
                ],
                error,
            ),
        }
    )
    pq.write_table(table, tmp_path / "nested.parquet")
    counts, rows = loaded([str(tmp_path / "nested.parquet")], skip_bad_rows=True)
    assert counts == {"analysed": 2, "malformed row": 1}
    assert [r[2] for r in rows] == ["café", "quota"]


# 2025-11-01T12:26:40Z as epoch seconds, milliseconds, microseconds and nanoseconds (as a JSON
# number, as digits in a string), ISO 8601 with an offset or fractions, and text that is no time.
_STAMPS = [
    (1762000000, "2025-11-01 12:26:40"),
    (1762000000000, "2025-11-01 12:26:40"),
    (1762000000000000, "2025-11-01 12:26:40"),
    (1762000000123456789, "2025-11-01 12:26:40.123457"),
    ("1762000000", "2025-11-01 12:26:40"),
    ("1762000000000000", "2025-11-01 12:26:40"),
    ("2025-11-01 20:26:40+08:00", "2025-11-01 12:26:40"),
    ("2025-11-01T12:26:40.5Z", "2025-11-01 12:26:40.5"),
    ("not a time", None),
]


def _stamp_rows() -> list[dict[str, object]]:
    return [
        {**lobehub_row(i, "ProviderBizError", "m"), "created_at": value}
        for i, (value, _) in enumerate(_STAMPS)
    ]


def _read_stamps(path: Path) -> list[str | None]:
    con = connect()
    load(con, [str(path)])
    found = con.execute("SELECT ts::VARCHAR FROM rows ORDER BY id").fetchall()
    by_id = sorted(zip([f"op_{i}" for i in range(len(_STAMPS))], found, strict=True))
    return [ts for _, (ts,) in by_id]


def test_timestamps_in_json_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "ts.jsonl", _stamp_rows())
    assert _read_stamps(path) == [expected for _, expected in _STAMPS]


def test_timestamps_in_parquet_text_and_integer_columns(tmp_path: Path) -> None:
    text = [str(value) for value, _ in _STAMPS]
    table = pa.table(
        {
            "id": [f"op_{i}" for i in range(len(_STAMPS))],
            "created_at": text,
            "error": [json.dumps({"type": "ProviderBizError", "message": "m"})] * len(_STAMPS),
        }
    )
    pq.write_table(table, tmp_path / "text.parquet")
    assert _read_stamps(tmp_path / "text.parquet") == [expected for _, expected in _STAMPS]
    numbers = [(v, e) for v, e in _STAMPS if isinstance(v, int)]
    table = pa.table(
        {
            "id": [f"op_{i}" for i in range(len(numbers))],
            "created_at": pa.array([v for v, _ in numbers], pa.int64()),
            "error": [json.dumps({"type": "ProviderBizError", "message": "m"})] * len(numbers),
        }
    )
    pq.write_table(table, tmp_path / "numbers.parquet")
    con = connect()
    load(con, [str(tmp_path / "numbers.parquet")])
    found = [r[0] for r in con.execute("SELECT ts::VARCHAR FROM rows ORDER BY id").fetchall()]
    assert found == [e for _, e in numbers]
