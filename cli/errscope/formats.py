"""Output formats: one enum, one writer per member, shared by every report command.

Writers produce text or bytes; `emit` sends them to stdout or writes a file whole (temp file
then rename), so a failed run never leaves half a file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable
from enum import StrEnum
from typing import IO, Any

from errscope.errors import UsageError
from errscope.report import Report, Section, iso, percent

TABLE_WIDTH = 120
# Free-text columns: cut to one line in tables (the full text is in json/csv/markdown).
_WIDE_TEXT = frozenset(
    {"example", "examples", "message", "pattern", "explanation", "template", "derived_from"}
)
_WIDE_WIDTH = 60
_LIST_TEXT = frozenset({"providers", "models", "sources", "why", "detail", "note", "description"})
_LIST_WIDTH = 36
_OTHER_WIDTH = 32
_CARD_COLUMNS = 8  # a single row with more columns than this prints as a card


def _cap(column: str) -> int:
    if column in ("path", "file", "code") or column.endswith("_code"):
        return 1_000  # names a reader copies (a file written, a code): never cut
    if column in _WIDE_TEXT:
        return _WIDE_WIDTH
    return _LIST_WIDTH if column in _LIST_TEXT else _OTHER_WIDTH


class Format(StrEnum):
    """Every output format errscope writes."""

    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"
    markdown = "markdown"


# Columns whose floats are shares: shown as percentages in human formats, raw in data formats.
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def render(
    report: Report, fmt: Format, *, primary: str | None = None, color: bool = False
) -> bytes:
    """The whole output of `report` in `fmt` (`primary` names the section tabular formats use)."""
    writer = _WRITERS[fmt]
    return writer(report, primary, color)


def emit(data: bytes, out: str | None) -> None:
    """Write to stdout, or to `out` atomically (temp file in the same folder, then rename)."""
    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_atomic(out, data)


def _special(path: str) -> bool:
    """An existing target that is not a regular file (/dev/null, a pipe): write it in place,
    since renaming a temp file over it would replace the device."""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def _file_mode(path: str) -> int:
    """The permissions the written file gets: those of the file it replaces, else what `open`
    would give a new file (0666 less the umask); mkstemp's own 0600 would hide a shared report."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str, data: bytes) -> None:
    """Write a file whole or not at all."""

    def write(target: str) -> None:
        with open(target, "wb") as stream:
            stream.write(data)

    write_atomic_with(path, write)


def write_atomic_with(path: str, writer: Callable[[str], None]) -> None:
    """Let `writer` fill a temp file next to `path`, then rename it into place; a target that
    cannot be written (a read-only file system, a full disk, a folder in its place) is a
    usage error naming it, and leaves no temp file behind."""
    try:
        if _special(path):
            writer(path)
            return
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise UsageError(f"cannot write {path}: folder {folder} does not exist")
        handle, temp = tempfile.mkstemp(prefix=".errscope-", dir=folder)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    os.close(handle)
    try:
        writer(temp)
        os.chmod(temp, _file_mode(path))
        os.replace(temp, path)
    except BaseException as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


def _primary(report: Report, primary: str | None) -> Section:
    if primary is None:
        return report.sections[0]
    return report.section(primary)


def _is_share(column: str) -> bool:
    return "share" in column


def _human(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and _is_share(column):
        return percent(value)
    value = iso(value)
    return str(value)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return iso(value)


def write_json(report: Report, primary: str | None, color: bool) -> bytes:
    document = {"command": report.command, **report.meta}
    clash = {s.name for s in report.sections} & set(document)
    assert not clash, f"report metadata and sections share keys: {sorted(clash)}"
    document.update({s.name: s.rows for s in report.sections})
    text = json.dumps(_json_ready(document), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def write_jsonl(report: Report, primary: str | None, color: bool) -> bytes:
    section = _primary(report, primary)
    lines = [
        json.dumps(_json_ready({c: row.get(c) for c in section.columns}), ensure_ascii=False)
        for row in section.rows
    ]
    return ("".join(line + "\n" for line in lines)).encode("utf-8")


def neutralise(value: Any) -> Any:
    """Strings a spreadsheet would execute (=, +, -, @, tab, CR first) get a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_LEAD):
        return "'" + value
    return value


def write_csv(report: Report, primary: str | None, color: bool) -> bytes:
    section = _primary(report, primary)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(section.columns)
    for row in section.rows:
        writer.writerow([_csv_cell(row.get(c)) for c in section.columns])
    return buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(iso(value))


def write_parquet(report: Report, primary: str | None, color: bool) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    section = _primary(report, primary)
    table = pa.Table.from_pylist(
        [{c: row.get(c) for c in section.columns} for row in section.rows]
        or [dict.fromkeys(section.columns)],
    )
    if not section.rows:
        table = table.slice(0, 0)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _md_cell(column: str, value: Any) -> str:
    text = _human(column, value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def write_markdown(report: Report, primary: str | None, color: bool) -> bytes:
    out = [f"## errscope {report.command}", ""]
    out.extend(f"- {line}" for line in report.headline)
    for section in report.sections:
        out += ["", f"### {section.title}", ""]
        if section.note:
            out += [section.note, ""]
        if not section.rows:
            out.append("_none_")
            continue
        out.append("| " + " | ".join(section.columns) + " |")
        out.append("|" + "|".join("---" for _ in section.columns) + "|")
        for row in section.rows:
            out.append("| " + " | ".join(_md_cell(c, row.get(c)) for c in section.columns) + " |")
    return ("\n".join(out) + "\n").encode("utf-8")


def write_table(report: Report, primary: str | None, color: bool) -> bytes:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=max([TABLE_WIDTH] + [_needed_width(section) for section in report.sections]),
        color_system="auto" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
    )
    for line in report.headline:
        console.print(line, markup=False)
    for section in report.sections:
        if len(section.rows) == 1 and len(section.columns) > _CARD_COLUMNS:
            # One wide row reads better as a card: one field per line, text not cut.
            console.print()
            console.print(section.title, markup=False)
            row = section.rows[0]
            width = max(len(c) for c in section.columns)
            for column in section.columns:
                console.print(
                    f"  {column.ljust(width)}  {_human(column, row.get(column))}",
                    markup=False,
                    soft_wrap=True,
                )
            continue
        table = Table(
            title=section.title,
            title_justify="left",
            box=box.SIMPLE_HEAD if color else None,
            show_edge=False,
            pad_edge=False,
        )
        for column in section.columns:
            numeric = any(isinstance(r.get(column), int | float) for r in section.rows)
            wide = column in _WIDE_TEXT
            natural = max(
                [len(column)] + [len(_human(column, r.get(column))) for r in section.rows]
            )
            table.add_column(
                column,
                justify="right" if numeric else "left",
                no_wrap=True,
                overflow="ellipsis",
                max_width=_cap(column),
                min_width=None if wide else min(natural, _cap(column)),
            )
        for row in section.rows:  # as Text: "[object Object]" is a message, not Rich markup
            table.add_row(*(Text(_human(c, row.get(c))) for c in section.columns))
        console.print()
        if section.rows:
            console.print(table)
        else:
            console.print(f"{section.title}: none", markup=False)
    text = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
    return (text + "\n").encode("utf-8")


def _needed_width(section: Section) -> int:
    """Width that fits every column on one line (free-text columns at their cap)."""
    total = 0
    for column in section.columns:
        natural = max([len(column)] + [len(_human(column, r.get(column))) for r in section.rows])
        total += min(natural, _cap(column)) + 2
    return total


_WRITERS = {
    Format.table: write_table,
    Format.csv: write_csv,
    Format.json: write_json,
    Format.jsonl: write_jsonl,
    Format.parquet: write_parquet,
    Format.markdown: write_markdown,
}
assert set(_WRITERS) == set(Format), "every format needs a writer"


def stream_is_terminal(stream: IO[Any]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
