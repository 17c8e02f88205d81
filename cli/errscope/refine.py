"""Refinement: the rules that turn a stored code into the code the registry gives today.

`refine` decides one row; `Refiner` decides many, computing pattern matches once per distinct
message. Semantics follow LobeHub's refine step (DOMAIN.md section 3), made configurable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from errscope.matcher import Matcher
from errscope.registry import Pattern, Registry

NO_CODE = "(none)"

# A 4xx/5xx at the very start of the message ("429 You exceeded ...", "500: upstream").
_LEADING_STATUS = re.compile(r"^([45][0-9][0-9])(?![0-9])")  # ASCII digits, as in refine_sql

STEP_PATTERN = "pattern"
STEP_STATUS = "status"
STEP_ALIAS = "alias"
STEP_PASS_THROUGH = "pass-through"
STEP_NO_MATCH = "no-match"
STEPS = (STEP_PATTERN, STEP_STATUS, STEP_ALIAS, STEP_PASS_THROUGH, STEP_NO_MATCH)


@dataclass(frozen=True)
class Decision:
    """The re-run code for one row and the step that decided it."""

    code: str
    step: str
    pattern: Pattern | None = None
    status: int | None = None

    def explain(self) -> str:
        """One line such as `pattern #12 regex '...'` or `status map: 429`."""
        if self.step == STEP_PATTERN and self.pattern is not None:
            return f"pattern {self.pattern.label()}"
        if self.step == STEP_STATUS:
            return f"status map: {self.status}"
        if self.step == STEP_ALIAS:
            return "alias of a registry code"
        if self.step == STEP_PASS_THROUGH:
            return "pass-through: the stored code is specific"
        return "no pattern or status rule applies: stored code kept"


def leading_status(message: str | None) -> int | None:
    """The 4xx/5xx number a message starts with, if any."""
    if not message:
        return None
    found = _LEADING_STATUS.match(message)
    return int(found.group(1)) if found else None


def refine(
    registry: Registry,
    matches: Iterable[int],
    stored_code: str | None,
    message: str | None,
    status: int | None,
    provider: str | None,
    *,
    full_rerun: bool = False,
) -> Decision:
    """Decide one row, given the indexes of the patterns that match its message (ascending).

    Pattern pass (pattern-refinable stored codes): the first in-scope matching pattern decides,
    unless its code equals the stored code, which is not a refinement. Status pass
    (status-refinable codes): the structured status, else a leading 4xx/5xx when enabled, through
    the status map. `full_rerun` sends every row through the patterns, and through the status map
    every row whose stored code is a catch-all or unknown to the registry.
    """
    stored = stored_code if stored_code is not None else NO_CODE
    code = registry.resolve(stored)
    by_pattern = full_rerun or code in registry.pattern_refinable
    # A full re-run lets the status map decide only catch-alls and names the registry does not
    # know: a blunt status must not turn a specific stored code into a catch-all.
    by_status = code in registry.status_refinable or (
        full_rerun and (code not in registry.codes or registry.codes[code].fallback)
    )
    if not by_pattern and not by_status:
        return Decision(code, STEP_ALIAS if code != stored else STEP_PASS_THROUGH)
    if by_pattern:
        for index in matches:
            pattern = registry.patterns[index]
            if pattern.in_scope(provider, stored) or (
                code != stored and pattern.in_scope(provider, code)
            ):
                if pattern.code != code:
                    return Decision(pattern.code, STEP_PATTERN, pattern=pattern)
                break
    if by_status:
        used = status
        if used is None and registry.leading_status:
            used = leading_status(message)
        if used is not None:
            target = registry.status_code_for(used)
            if target is not None and target != code:
                return Decision(target, STEP_STATUS, status=used)
    return Decision(code, STEP_NO_MATCH)


class Refiner:
    """Refines many rows with one compiled matcher, caching matches per distinct message."""

    def __init__(self, registry: Registry, *, full_rerun: bool = False) -> None:
        self.registry = registry
        self.full_rerun = full_rerun
        self.matcher = Matcher(registry.patterns)

    def needs_message(self, stored_code: str | None) -> bool:
        """False for stored codes that pass through: their message is never looked at."""
        if self.full_rerun:
            return True
        code = self.registry.resolve(stored_code if stored_code is not None else NO_CODE)
        return code in self.registry.pattern_refinable or code in self.registry.status_refinable

    def decide(
        self,
        stored_code: str | None,
        message: str | None,
        status: int | None = None,
        provider: str | None = None,
    ) -> Decision:
        matches = self.matcher.matches(message or "") if self.needs_message(stored_code) else []
        return refine(
            self.registry,
            matches,
            stored_code,
            message,
            status,
            provider,
            full_rerun=self.full_rerun,
        )

    def decide_many(
        self,
        rows: Iterable[tuple[str | None, str | None, int | None, str | None]],
    ) -> Iterator[Decision]:
        """Decide (stored_code, message, status, provider) tuples, matching each message once."""
        cache: dict[str, list[int]] = {}
        registry, full = self.registry, self.full_rerun
        for stored_code, message, status, provider in rows:
            if self.needs_message(stored_code):
                text = message or ""
                found = cache.get(text)
                if found is None:
                    found = self.matcher.matches(text)
                    cache[text] = found
            else:
                found = []
            yield refine(registry, found, stored_code, message, status, provider, full_rerun=full)
