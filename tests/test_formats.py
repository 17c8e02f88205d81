"""Every output format has a writer, and each writer keeps its promises."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from errscope.formats import Format, neutralise, render, write_atomic
from errscope.report import Report, Section

ROWS = [
    {"code": "RateLimitExceeded", "rows": 3, "share": 0.696612, "ok": True,
     "when": datetime(2026, 11, 2, 10, 0, 0), "example": "=HYPERLINK(\"http://x\")"},
    {"code": "Weird|pipe", "rows": 1, "share": 0.0, "ok": False, "when": None,
     "example": "-1+2\nsecond line"},
]


def sample_report() -> Report:
    section = Section("cells", "Cells", ["code", "rows", "share", "ok", "when", "example"], ROWS)
    other = Section("empty", "Nothing here", ["a"], [])
    return Report("test", {"registry": {"name": "r"}}, ["headline one"], [section, other])


@pytest.mark.parametrize("fmt", list(Format))
def test_every_format_renders(fmt: Format, tmp_path: Path) -> None:
    data = render(sample_report(), fmt, primary="cells")
    assert isinstance(data, bytes) and data
    if fmt is Format.parquet:
        path = tmp_path / "x.parquet"
        path.write_bytes(data)
        assert pq.read_table(path).to_pylist()[0]["code"] == "RateLimitExceeded"
        return
    text = data.decode("utf-8")
    assert "\r\n" not in text and text.endswith("\n")
    if fmt is Format.json:
        doc = json.loads(text)
        assert doc["cells"][0]["when"] == "2026-11-02T10:00:00Z" and doc["empty"] == []
    elif fmt is Format.jsonl:
        assert [json.loads(line)["code"] for line in text.splitlines()] == ["RateLimitExceeded", "Weird|pipe"]
    elif fmt is Format.csv:
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["code", "rows", "share", "ok", "when", "example"]
        assert rows[1][2] == "0.696612" and rows[1][3] == "true" and rows[1][4] == "2026-11-02T10:00:00Z"
        assert rows[1][5].startswith("'=") and rows[2][5].startswith("'-1+2")
    elif fmt is Format.markdown:
        assert "| Weird\\|pipe | 1 | 0.00% |" in text and "_none_" in text
        assert "69.66%" in text  # fixed precision, never rounded to 70%
    elif fmt is Format.table:
        assert "69.66%" in text and "\x1b[" not in text and "headline one" in text


def test_neutralise() -> None:
    for lead in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(lead + "x") == "'" + lead + "x"
    assert neutralise("plain") == "plain" and neutralise(-3) == -3


def test_write_atomic_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")

    write_atomic(str(target), b"new")
    assert target.read_text() == "new"
    with pytest.raises(TypeError):
        write_atomic(str(target), "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_atomic_gives_ordinary_permissions(tmp_path: Path) -> None:
    import os

    fresh = tmp_path / "fresh.csv"
    umask = os.umask(0o022)
    try:
        write_atomic(str(fresh), b"x")
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    kept = tmp_path / "kept.csv"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomic(str(kept), b"new")
    assert kept.stat().st_mode & 0o777 == 0o640


def test_write_atomic_to_an_unwritable_target_is_a_usage_error(tmp_path: Path) -> None:
    from errscope.errors import UsageError

    (tmp_path / "folder").mkdir()
    with pytest.raises(UsageError, match="cannot write .*folder: Is a directory"):
        write_atomic(str(tmp_path / "folder"), b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]


def test_a_single_wide_row_prints_as_a_card() -> None:
    row = {f"field{i}": f"value {i}" for i in range(10)}
    report = Report("test", {}, [], [Section("one", "One", list(row), [row])])
    text = render(report, Format.table).decode()
    assert "  field0  value 0\n" in text and "  field9  value 9\n" in text


def test_tables_never_cut_paths_or_codes_but_cut_long_free_text() -> None:
    path = "reports/weekly/errscope-2026-W41-summary.csv"
    code = "CustomGatewayChannelTemporarilyUnavailable"
    rows = [{"path": path, "code": code, "detail": "d" * 80, "message": "m" * 200}]
    report = Report("test", {}, [], [Section("files", "Files", list(rows[0]), rows)])
    text = render(report, Format.table, color=False).decode()
    assert path in text and code in text
    assert "d" * 80 not in text and "m" * 200 not in text and "…" in text


def test_table_cells_are_text_not_rich_markup() -> None:
    rows = [{"message": "[object Object]", "rows": 3}, {"message": "[GoogleGenerativeAI Error]: [bold]x", "rows": 1}]
    report = Report("test", {}, [], [Section("m", "Messages", ["message", "rows"], rows)])
    for color in (False, True):
        text = render(report, Format.table, color=color).decode()
        assert "[object Object]" in text and "[GoogleGenerativeAI Error]: [bold]x" in text
