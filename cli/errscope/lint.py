"""Registry review: warnings load-time validation cannot give, and what changed between two files.

Warnings: patterns that can never fire (exact duplicates; a substring containing an earlier
substring with the same scope, so the earlier always wins), patterns no golden case exercises,
and codes no pattern or status rule can produce.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from errscope.classify import Case
from errscope.matcher import Matcher
from errscope.registry import Pattern, Registry


@dataclass(frozen=True)
class Warning_:
    """One finding about a registry, with the pattern position it concerns (0 for none)."""

    kind: str
    position: int
    message: str


def _same_scope(a: Pattern, b: Pattern) -> bool:
    return a.providers == b.providers and a.stored_codes == b.stored_codes


def _covers(earlier: Pattern, later: Pattern) -> bool:
    """True when every message `later` matches is also matched by `earlier` (substrings only)."""
    if earlier.kind != "substring" or later.kind != "substring" or not _same_scope(earlier, later):
        return False
    if earlier.ignore_case:
        return earlier.text.casefold() in later.text.casefold()
    return not later.ignore_case and earlier.text in later.text


def lint(registry: Registry, cases: Sequence[Case] = ()) -> list[Warning_]:
    """Every warning for a registry; `cases` (a golden corpus) enables the unexercised check."""
    found: list[Warning_] = []
    patterns = registry.patterns
    for j, later in enumerate(patterns):
        for earlier in patterns[:j]:
            if (earlier.kind, earlier.text, earlier.ignore_case) == (
                later.kind,
                later.text,
                later.ignore_case,
            ) and _same_scope(earlier, later):
                found.append(
                    Warning_(
                        "duplicate",
                        later.position,
                        f"pattern {later.label()} repeats pattern #{earlier.position} exactly: "
                        "it can never fire",
                    )
                )
                break
            if _covers(earlier, later):
                found.append(
                    Warning_(
                        "shadowed",
                        later.position,
                        f"pattern {later.label()} contains the earlier pattern "
                        f"{earlier.label()} with the same scope, so #{earlier.position} always "
                        "wins: it can never fire",
                    )
                )
                break
    if cases:
        matcher = Matcher(patterns)
        hit: set[int] = set()
        for case in cases:
            hit.update(matcher.matches(case.message))
        for index, pattern in enumerate(patterns):
            if index not in hit:
                found.append(
                    Warning_(
                        "unexercised",
                        pattern.position,
                        f"pattern {pattern.label()} matches no case of the golden corpus",
                    )
                )
    producible = {p.code for p in patterns} | {r.code for r in registry.status_map}
    for name in registry.codes:
        if name not in producible and name not in registry.pattern_refinable:
            found.append(
                Warning_(
                    "unproducible",
                    0,
                    f"code {name} ({registry.codes[name].id}) is produced by no pattern or status "
                    "rule (only rows stored with it carry it)",
                )
            )
    return found


@dataclass(frozen=True)
class RegistryChange:
    """One difference between two registries."""

    kind: str  # added, removed, moved, code-added, code-removed, code-changed, setting
    subject: str
    detail: str


def _pattern_key(p: Pattern) -> tuple[object, ...]:
    return (p.code, p.kind, p.text, p.ignore_case, p.providers, p.stored_codes)


def compare(old: Registry, new: Registry) -> list[RegistryChange]:
    """Patterns added, removed and reordered; codes added, removed and changed; settings."""
    changes: list[RegistryChange] = []
    old_keys = [_pattern_key(p) for p in old.patterns]
    new_keys = [_pattern_key(p) for p in new.patterns]
    for p in new.patterns:
        if _pattern_key(p) not in old_keys:
            changes.append(RegistryChange("added", f"#{p.position}", f"{p.label()} -> {p.code}"))
    for p in old.patterns:
        if _pattern_key(p) not in new_keys:
            changes.append(RegistryChange("removed", f"#{p.position}", f"{p.label()} -> {p.code}"))
    common_old = [k for k in old_keys if k in new_keys]
    common_new = [k for k in new_keys if k in old_keys]
    # Patterns outside the longest common subsequence of the shared ones changed places.
    kept: set[int] = set()
    for block in difflib.SequenceMatcher(
        a=common_old, b=common_new, autojunk=False
    ).get_matching_blocks():
        kept.update(range(block.b, block.b + block.size))
    for index, key in enumerate(common_new):
        if index not in kept:
            p = new.patterns[new_keys.index(key)]
            was = old.patterns[old_keys.index(key)].position
            changes.append(
                RegistryChange(
                    "moved", f"#{was} -> #{p.position}", f"{p.label()} -> {p.code}: order changed"
                )
            )
    for name in sorted(set(new.codes) - set(old.codes)):
        changes.append(RegistryChange("code-added", name, new.codes[name].id))
    for name in sorted(set(old.codes) - set(new.codes)):
        changes.append(RegistryChange("code-removed", name, old.codes[name].id))
    for name in sorted(set(old.codes) & set(new.codes)):
        a, b = old.codes[name], new.codes[name]
        fields = [
            f
            for f in (
                "id",
                "category",
                "severity",
                "attribution",
                "retryable",
                "count_as_failure",
                "fallback",
            )
            if getattr(a, f) != getattr(b, f)
        ]
        if fields:
            changes.append(
                RegistryChange(
                    "code-changed",
                    name,
                    ", ".join(f"{f}: {getattr(a, f)} -> {getattr(b, f)}" for f in fields),
                )
            )
    for setting in (
        "pattern_refinable",
        "status_refinable",
        "leading_status",
        "status_map",
        "aliases",
    ):
        if getattr(old, setting) != getattr(new, setting):
            changes.append(RegistryChange("setting", setting, "changed"))
    return changes
