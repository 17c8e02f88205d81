"""Registries as reports: `registry show` (codes and patterns) and `registry diff` (changes)."""

from __future__ import annotations

from collections.abc import Sequence

from errscope import __version__
from errscope.lint import compare
from errscope.loader import Progress
from errscope.registry import Registry
from errscope.report import Report, Section


def show(registry: Registry) -> Report:
    """Codes and ordered patterns of a registry."""
    codes = [
        {
            "code": spec.name,
            "numeric_id": spec.id,
            "category": spec.category,
            "severity": spec.severity,
            "attribution": spec.attribution,
            "retryable": spec.retryable,
            "count_as_failure": spec.count_as_failure,
            "fallback": spec.fallback,
            "description": spec.description,
        }
        for spec in sorted(registry.codes.values(), key=lambda s: s.id)
    ]
    patterns = [
        {
            "position": p.position,
            "code": p.code,
            "kind": p.kind,
            "pattern": p.text,
            "ignore_case": p.ignore_case,
            "providers": ", ".join(sorted(p.providers)) if p.providers else None,
            "stored_codes": ", ".join(sorted(p.stored_codes)) if p.stored_codes else None,
            "note": p.note,
        }
        for p in registry.patterns
    ]
    meta = {
        "errscope_version": __version__,
        "registry": registry.stamp(),
        "aliases": dict(registry.aliases),
        "pattern_refinable": sorted(registry.pattern_refinable),
        "status_refinable": sorted(registry.status_refinable),
        "leading_status": registry.leading_status,
        "status_map": [{"from": r.low, "to": r.high, "code": r.code} for r in registry.status_map],
    }
    headline = [
        f"registry {registry.name} {registry.version} ({registry.short_hash}) from "
        f"{registry.origin}: {len(codes)} codes, {len(patterns)} patterns",
    ]
    return Report(
        "registry show",
        meta,
        headline,
        [
            Section("codes", "Codes", list(codes[0]) if codes else ["code"], codes),
            Section(
                "patterns",
                "Patterns (first match wins)",
                [
                    "position",
                    "code",
                    "kind",
                    "pattern",
                    "ignore_case",
                    "providers",
                    "stored_codes",
                    "note",
                ],
                patterns,
            ),
        ],
    )


def changes(
    before: Registry,
    after: Registry,
    on: Sequence[str] = (),
    progress: Progress | None = None,
) -> Report:
    """What changed between two registries; with a dump, the rows that would move too."""
    found = [
        {"change": c.kind, "subject": c.subject, "detail": c.detail} for c in compare(before, after)
    ]
    meta = {"errscope_version": __version__, "before": before.stamp(), "after": after.stamp()}
    headline = [
        f"before: {before.name} {before.version} ({before.short_hash})",
        f"after:  {after.name} {after.version} ({after.short_hash})",
        f"{len(found)} change(s)",
    ]
    sections = [Section("changes", "Changes", ["change", "subject", "detail"], found)]
    if on:
        from errscope.diff import diff

        moved = diff(on, after, before, progress=progress)
        meta["moves"] = {k: moved.meta[k] for k in ("rows", "moved_rows", "fallback")}
        headline.extend(moved.headline[2:])
        sections.extend(moved.sections)
    return Report("registry diff", meta, headline, sections)
