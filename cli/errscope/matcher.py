"""Multi-pattern matching in linear time: every registry pattern in one RE2 set.

RE2 guarantees time linear in the message length whatever the pattern (no backtracking), and
DuckDB's regexp functions use the same engine, so exported SQL keeps the same semantics.
Every pattern runs with `.` matching newlines (HTML pages and stack traces span lines).
"""

from __future__ import annotations

from collections.abc import Sequence

import re2

from errscope.registry import Pattern

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 256 << 20


def pattern_regex(pattern: Pattern) -> str:
    """The RE2 regex a pattern compiles to (substrings are escaped; flags are inline)."""
    body = re2.escape(pattern.text) if pattern.kind == "substring" else pattern.text
    flags = "(?is)" if pattern.ignore_case else "(?s)"
    return f"{flags}(?:{body})"


def check_pattern(pattern: Pattern) -> str | None:
    """None when RE2 compiles the pattern, else RE2's reason."""
    try:
        re2.compile(pattern_regex(pattern), _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


class Matcher:
    """Answers "which patterns match this message" in one pass over the message."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self._set = re2.Set.SearchSet(_OPTIONS)
        for pattern in self.patterns:
            self._set.Add(pattern_regex(pattern))
        self._set.Compile()

    def matches(self, message: str) -> list[int]:
        """Indexes (0-based, ascending) of every pattern that matches somewhere in the message."""
        if not message or not self.patterns:
            return []
        found = self._set.Match(message)
        if not found:
            return []
        return sorted(found)
