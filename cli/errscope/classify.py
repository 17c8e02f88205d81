"""`classify`: one message, or a file of them, through the registry, with the deciding step."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from errscope import __version__
from errscope.errors import InputError
from errscope.refine import Refiner
from errscope.registry import Registry
from errscope.report import Report, Section

DEFAULT_STORED = "ProviderBizError"


@dataclass(frozen=True)
class Case:
    """One message to classify with its context."""

    message: str
    status: int | None = None
    stored_type: str = DEFAULT_STORED
    provider: str | None = None
    expected: str | None = None
    location: str = ""  # file:line it came from, for failure reports

    def __post_init__(self) -> None:
        # Text that cannot be UTF-8 (a lone surrogate from a JSON escape such as "\ud800", or
        # undecodable bytes in a command-line argument) is read with U+FFFD in its place, as
        # DuckDB reads such bytes in an export: matched and written out, never an error.
        for name in ("message", "stored_type", "provider"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, valid_utf8(value))


def valid_utf8(text: str) -> str:
    """`text`, with whatever cannot be encoded as UTF-8 replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # surrogateescape gives back a command-line argument's own bytes; what is left (lone
        # surrogates from JSON) is encoded as is and each of its bytes replaced.
        raw = text.encode("utf-8", "surrogateescape" if _escaped_only(text) else "surrogatepass")
        return raw.decode("utf-8", "replace")
    return text


def _escaped_only(text: str) -> bool:
    """Every surrogate in `text` is one surrogateescape made (U+DC80..U+DCFF)."""
    return all(not "\ud800" <= c <= "\udfff" or "\udc80" <= c <= "\udcff" for c in text)


def read_cases(path: str) -> list[Case]:
    """JSON Lines of {"message", "status"?, "type"|"stored_type"?, "provider"?, "expected"?}."""
    cases = []
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number}: not JSON ({exc.msg})",
                hint='one object per line: {"message": "...", "status": 429}',
            ) from exc
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            raise InputError(f'{path}:{number}: needs a string field "message"')
        status = item.get("status")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
            raise InputError(f"{path}:{number}: status must be an integer")
        stored = item.get("type", item.get("stored_type")) or DEFAULT_STORED
        expected = item.get("expected")
        if expected is not None and not isinstance(expected, str):
            raise InputError(f"{path}:{number}: expected must be a code name")
        cases.append(
            Case(
                item["message"],
                status,
                str(stored),
                item.get("provider"),
                expected,
                f"{path}:{number}",
            )
        )
    return cases


def classify(registry: Registry, cases: Iterable[Case], *, full_rerun: bool = False) -> Report:
    """Decide every case; the report has one row per case, in input order."""
    refiner = Refiner(registry, full_rerun=full_rerun)
    rows = []
    for case in cases:
        decision = refiner.decide(case.stored_type, case.message, case.status, case.provider)
        spec = registry.spec(decision.code)
        rows.append(
            {
                "message": case.message,
                "stored_type": case.stored_type,
                "status": case.status,
                "provider": case.provider,
                "code": decision.code,
                "numeric_id": spec.id if spec else None,
                "category": spec.category if spec else None,
                "retryable": spec.retryable if spec else None,
                "fallback": registry.is_fallback(decision.code),
                "step": decision.step,
                "pattern_position": decision.pattern.position if decision.pattern else None,
                "pattern": decision.pattern.text if decision.pattern else None,
                "status_used": decision.status,
                "explanation": decision.explain(),
            }
        )
    columns = list(rows[0]) if rows else ["message", "code"]
    meta = {"errscope_version": __version__, "registry": registry.stamp()}
    headline = [f"registry {registry.name} {registry.version} ({registry.short_hash})"]
    return Report("classify", meta, headline, [Section("results", "Classification", columns, rows)])
