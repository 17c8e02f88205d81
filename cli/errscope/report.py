"""The report model every command returns: metadata, headline lines, and named tables.

Writers (errscope.formats) turn a Report into table, csv, json, jsonl, parquet or markdown, so
every command gets every format from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Section:
    """One table of a report: a JSON key, a title, ordered columns and rows as dicts."""

    name: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    note: str = ""


@dataclass
class Report:
    """A command's result, independent of how it is written."""

    command: str
    meta: dict[str, Any]
    headline: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # stderr only: timings and the like

    def section(self, name: str) -> Section:
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)


def share(part: int, whole: int) -> float:
    """A share rounded to 6 decimals; 0 when there is nothing to share."""
    return round(part / whole, 6) if whole else 0.0


def percent(value: float, digits: int = 2) -> str:
    """A fixed-precision percentage: 0.69662 -> '69.66%' (never silently rounded to 70%)."""
    return f"{value * 100:.{digits}f}%"


def points(value: float, digits: int = 2) -> str:
    """A signed change in percentage points: -0.1234 -> '-12.34 pp'."""
    return f"{value * 100:+.{digits}f} pp"


def iso(value: Any) -> Any:
    """Timestamps as ISO-8601 UTC with a Z; other values unchanged."""
    if isinstance(value, datetime):
        text = value.isoformat(timespec="seconds")
        return text.removesuffix("+00:00") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value
