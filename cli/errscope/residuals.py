"""`residuals`: what is still unclassified, grouped into templates, with the patterns to add next.

Messages still in a fallback code after the re-run are mined into templates (errscope.templates).
For the top templates a pattern is suggested (a distinctive substring, else a linear-time regex
built from the template) and tried on this dump in SQL: the rows it would absorb from fallback
codes and the rows it would take from other codes if appended to the registry.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from errscope import __version__
from errscope.analysis import inputs_meta, truncate
from errscope.loader import LoadOptions, Progress, connect, load
from errscope.masking import WILDCARD
from errscope.match_cache import prepare
from errscope.refine_sql import literal
from errscope.registry import Registry
from errscope.report import Report, Section, percent, share
from errscope.rerun import message_keys, rerun
from errscope.templates import Template, mine

_WORD_RE = re.compile(r"[a-z][a-z_]{2,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "this",
        "that",
        "your",
        "you",
        "are",
        "was",
        "were",
        "not",
        "has",
        "have",
        "been",
        "from",
        "into",
        "please",
        "error",
        "errors",
        "code",
        "message",
        "type",
        "null",
        "none",
        "true",
        "false",
        "request",
        "response",
        "api",
        "http",
        "https",
        "www",
        "com",
        "org",
        "failed",
        "failure",
        "status",
        "body",
        "data",
        "value",
        "values",
        "unknown",
        "internal",
        "occurred",
        "cannot",
        "read",
        "reading",
        "properties",
        "property",
        "undefined",
        "params",
        "param",
    ]
)
MIN_SUBSTRING = 10  # shorter literal segments are too common to be distinctive


@dataclass(frozen=True)
class ResidualOptions:
    """Which codes count as residual, and how much to show and suggest."""

    codes: tuple[str, ...] | None = None  # None: the registry's fallback codes
    top: int = 25
    suggest: int = 10
    examples: int = 3


@dataclass
class Suggestion:
    """A pattern proposed for one template, and what it would do on this dump."""

    rank: int
    template: str
    kind: str
    text: str
    code: str | None
    why: str
    absorbs: int
    steals: int
    template_rows: int
    examples: list[str] = field(default_factory=list)


def residuals(
    specs: Sequence[str],
    registry: Registry,
    load_options: LoadOptions | None = None,
    options: ResidualOptions | None = None,
    progress: Progress | None = None,
) -> tuple[Report, list[Suggestion]]:
    """Templates of the residual messages and suggested patterns for the top ones."""
    options = options or ResidualOptions()
    con = connect()
    try:
        keep = message_keys(registry) or frozenset()
        keep = keep | frozenset(options.codes or ())
        prepare(registry)
        loaded = load(con, specs, load_options, progress=progress, keep_message_for=keep)
        rerun(con, registry, progress=progress)
        selected = _selection(registry, options.codes)
        residual = con.execute(
            f"SELECT message, sum(n)::BIGINT FROM decided WHERE {selected} AND message IS NOT NULL "
            "GROUP BY message ORDER BY message"
        ).fetchall()
        total = int(
            con.execute(
                f"SELECT coalesce(sum(n), 0)::BIGINT FROM decided WHERE {selected}"
            ).fetchall()[0][0]
        )
        templates = mine((m, int(n)) for m, n in residual)
        rows = _template_rows(con, templates, [m for m, _ in residual], selected, options, total)
        suggestions = _suggest(con, registry, templates, residual, selected, options)
    finally:
        con.close()
    meta = {
        "errscope_version": __version__,
        "registry": registry.stamp(),
        "inputs": inputs_meta(loaded),
        "residual_codes": list(options.codes)
        if options.codes
        else sorted(name for name, spec in registry.codes.items() if spec.fallback),
        "residual_rows": total,
        "residual_messages": len(residual),
        "template_count": len(templates),
    }
    headline = [
        f"registry {registry.name} {registry.version} ({registry.short_hash})",
        f"{total} residual rows, {len(residual)} distinct messages, {len(templates)} templates",
    ]
    sections = [
        Section(
            "templates",
            "Residual templates",
            [
                "rank",
                "template",
                "rows",
                "share",
                "messages",
                "providers",
                "models",
                "sources",
                "first_seen",
                "last_seen",
                "days_seen",
                "examples",
            ],
            rows,
        ),
        Section(
            "suggestions",
            "Suggested patterns (appended at the end of the registry)",
            ["rank", "code", "kind", "pattern", "absorbs", "steals", "why"],
            [
                {
                    "rank": s.rank,
                    "code": s.code,
                    "kind": s.kind,
                    "pattern": s.text,
                    "absorbs": s.absorbs,
                    "steals": s.steals,
                    "why": s.why,
                }
                for s in suggestions
            ],
        ),
    ]
    return Report("residuals", meta, headline, sections), suggestions


def _selection(registry: Registry, codes: tuple[str, ...] | None) -> str:
    if not codes:
        return "new_fallback"
    return f"list_contains([{', '.join(literal(c) for c in codes)}], new_code)"


def _template_rows(
    con: duckdb.DuckDBPyConnection,
    templates: list[Template],
    messages: list[str],
    selected: str,
    options: ResidualOptions,
    total: int,
) -> list[dict[str, Any]]:
    """Per template: rows, share, distinct messages, where and when it was seen, examples."""
    shown = templates[: options.top]
    member_of = pa.table(
        {
            "message": [messages[i] for t in shown for i in t.members],
            "template": [rank for rank, t in enumerate(shown, 1) for _ in t.members],
        }
    )
    con.register("residual_members", member_of)
    stats = {
        r[0]: r[1:]
        for r in con.execute(
            f"""
            SELECT c.template, count(*)::BIGINT, count(DISTINCT c.message)::BIGINT,
                   list(DISTINCT c.provider ORDER BY c.provider)
                     FILTER (WHERE c.provider IS NOT NULL),
                   list(DISTINCT c.model ORDER BY c.model) FILTER (WHERE c.model IS NOT NULL),
                   list(DISTINCT c.source ORDER BY c.source),
                   min(c.ts), max(c.ts), count(DISTINCT CAST(c.ts AS DATE))::BIGINT
            FROM (
              -- Rows of the residual messages first (a small join), then their decisions.
              SELECT r.*, t.template, d.new_code, nc.fallback AS new_fallback
              FROM rows_keyed AS r
              JOIN residual_members AS t ON r.key_message = t.message
              JOIN decisions AS d
                ON r.type IS NOT DISTINCT FROM d.type AND r.key_message = d.message
               AND r.status IS NOT DISTINCT FROM d.status
               AND r.provider IS NOT DISTINCT FROM d.provider
              JOIN codes AS nc ON nc.name = d.new_code
            ) AS c
            WHERE {_row_selection(selected)}
            GROUP BY c.template ORDER BY c.template
            """
        ).fetchall()
    }
    con.unregister("residual_members")
    rows = []
    for rank, template in enumerate(shown, 1):
        found = stats.get(rank)
        n, distinct, providers, models, sources, first, last, days = found or (
            0,
            0,
            [],
            [],
            [],
            None,
            None,
            0,
        )
        rows.append(
            {
                "rank": rank,
                "template": template.text or "(blank message)",
                "rows": n,
                "share": share(n, total),
                "messages": distinct,
                "providers": _few(providers),
                "models": _few(models),
                "sources": _few(sources),
                "first_seen": first,
                "last_seen": last,
                "days_seen": days,
                "examples": " | ".join(
                    truncate(m, 160) or "" for m in _examples(template, messages, options.examples)
                ),
            }
        )
    return rows


def _row_selection(selected: str) -> str:
    return selected.replace("new_fallback", "c.new_fallback").replace(
        ", new_code)", ", c.new_code)"
    )


def _examples(template: Template, messages: list[str], count: int) -> list[str]:
    """The template's example, then other members, distinct, in input order."""
    picked = [template.example]
    for index in template.members:
        if len(picked) >= count:
            break
        if messages[index] not in picked:
            picked.append(messages[index])
    return picked


def _few(values: list[str] | None, limit: int = 5) -> str:
    values = values or []
    head = ", ".join(values[:limit])
    return head + (f" (+{len(values) - limit} more)" if len(values) > limit else "")


def _candidates(template: Template, members: list[str]) -> list[tuple[str, str]]:
    """(kind, text) candidates: literal segments present in every member, then a regex."""
    found: list[tuple[str, str]] = []
    for segment in sorted(
        {s.strip() for s in template.text.split(WILDCARD)}, key=lambda s: (-len(s), s)
    ):
        if (
            len(segment) >= MIN_SUBSTRING
            and re.search(r"[A-Za-z\u4e00-\u9fff]", segment)
            and all(segment in m for m in members)
        ):
            found.append(("substring", segment))
    found.append(("regex", template_regex(template.text)))
    return found


def template_regex(text: str) -> str:
    """A linear-time RE2 regex for a template: literal tokens, `<*>` as a run of non-spaces."""
    parts = []
    for token in text.split(" "):
        pieces = token.split(WILDCARD)
        parts.append(
            r"\S*".join(re.escape(p) for p in pieces) if len(pieces) > 1 else re.escape(token)
        )
    return r"\s+".join(parts)


def _suggest(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    templates: list[Template],
    residual: list[tuple[str, int]],
    selected: str,
    options: ResidualOptions,
) -> list[Suggestion]:
    messages = [m for m, _ in residual]
    statuses = _statuses(con, selected)
    refinable = ", ".join(literal(c) for c in sorted(registry.pattern_refinable)) or "NULL"
    suggestions = []
    for rank, template in enumerate(templates[: options.suggest], 1):
        members = [messages[i] for i in template.members]
        refinable_rows = _refinable_rows(con, registry, members, selected)
        if refinable_rows == 0:
            suggestions.append(
                Suggestion(
                    rank=rank,
                    template=template.text,
                    kind="substring",
                    text="",
                    code=None,
                    why="stored under codes the registry does not refine (pass-through): "
                    "no pattern can move them; add the code to pattern_refinable first",
                    absorbs=0,
                    steals=0,
                    template_rows=template.count,
                    examples=_examples(template, messages, options.examples),
                )
            )
            continue
        earlier = _earlier_pattern(con, registry, members, selected)
        if earlier is not None:
            pattern = registry.patterns[earlier - 1]
            suggestions.append(
                Suggestion(
                    rank=rank,
                    template=template.text,
                    kind=pattern.kind,
                    text=pattern.text,
                    code=None,
                    why=f"already matched by pattern #{earlier} ({pattern.code}): a pattern "
                    f"added at the end cannot fire; change #{earlier} or add one before it",
                    absorbs=0,
                    steals=0,
                    template_rows=template.count,
                    examples=_examples(template, messages, options.examples),
                )
            )
            continue
        code, why = suggest_code(registry, template, members, statuses)
        best: tuple[int, int, str, str] | None = None
        for kind, text in _candidates(template, members):
            condition = (
                f"contains(message, {literal(text)})"
                if kind == "substring"
                else f"regexp_matches(message, {literal('(?s)(?:' + text + ')')})"
            )
            changed = "true" if code is None else f"stored_resolved <> {literal(code)}"
            absorbs, steals = con.execute(
                f"""
                SELECT coalesce(sum(n) FILTER (WHERE {selected}), 0)::BIGINT,
                       coalesce(sum(n) FILTER (WHERE NOT ({selected})), 0)::BIGINT
                FROM decided
                WHERE message IS NOT NULL AND first_match IS NULL
                  AND list_contains([{refinable}]::VARCHAR[], stored_resolved)
                  AND {changed} AND {condition}
                """
            ).fetchall()[0]
            score = (int(steals) == 0, int(absorbs), kind == "substring")
            if best is None or score > (best[1] == 0, best[0], best[2] == "substring"):
                best = (int(absorbs), int(steals), kind, text)
            if kind == "substring" and steals == 0 and absorbs >= template.count:
                break
        assert best is not None
        suggestions.append(
            Suggestion(
                rank=rank,
                template=template.text,
                kind=best[2],
                text=best[3],
                code=code,
                why=why,
                absorbs=best[0],
                steals=best[1],
                template_rows=template.count,
                examples=_examples(template, messages, options.examples),
            )
        )
    return suggestions


def _refinable_rows(
    con: duckdb.DuckDBPyConnection, registry: Registry, members: list[str], selected: str
) -> int:
    """Rows of the template whose stored code the registry refines by pattern."""
    refinable = ", ".join(literal(c) for c in sorted(registry.pattern_refinable)) or "NULL"
    con.register("template_members", pa.table({"message": members}))
    found = con.execute(
        "SELECT coalesce(sum(n), 0)::BIGINT FROM decided SEMI JOIN template_members "
        f"USING (message) WHERE {selected} "
        f"AND list_contains([{refinable}]::VARCHAR[], stored_resolved)"
    ).fetchall()[0][0]
    con.unregister("template_members")
    return int(found)


def _earlier_pattern(
    con: duckdb.DuckDBPyConnection, registry: Registry, members: list[str], selected: str
) -> int | None:
    """The pattern that already matches most of the template's rows, if most rows have one."""
    con.register("template_members", pa.table({"message": members}))
    found = con.execute(
        "SELECT first_match, sum(n)::BIGINT FROM decided "
        f"SEMI JOIN template_members USING (message) WHERE {selected} "
        "GROUP BY ALL ORDER BY 2 DESC, 1 NULLS FIRST"
    ).fetchall()
    con.unregister("template_members")
    total = sum(int(n) for _, n in found)
    if not found or found[0][0] is None or int(found[0][1]) * 2 <= total:
        return None
    return int(found[0][0])


def _statuses(con: duckdb.DuckDBPyConnection, selected: str) -> dict[str, Counter[int]]:
    found: dict[str, Counter[int]] = {}
    for message, status, n in con.execute(
        f"SELECT message, status, sum(n)::BIGINT FROM decided WHERE {selected} "
        "AND message IS NOT NULL AND status IS NOT NULL GROUP BY ALL"
    ).fetchall():
        found.setdefault(message, Counter())[int(status)] += int(n)
    return found


def _words(text: str) -> set[str]:
    return {w for w in _WORD_RE.findall(text.lower()) if w not in _STOP}


def suggest_code(
    registry: Registry,
    template: Template,
    members: list[str],
    statuses: dict[str, Counter[int]] | None = None,
) -> tuple[str | None, str]:
    """The existing code whose patterns share the most distinctive wording with the template.

    Words are weighted by how few codes use them (a word in every code's vocabulary says
    nothing); a code needs two shared words and a third of the template's weight. Without
    such a code, a status that most of the template's rows carry can name one through the
    status map.
    """
    words = _words(template.text.replace(WILDCARD, " "))
    vocabularies = {
        name: _words(
            " ".join(
                [re.sub(r"([a-z])([A-Z])", r"\1 \2", name), spec.description]
                + [f"{p.text} {p.note}" for p in registry.patterns if p.code == name]
            )
        )
        for name, spec in sorted(registry.codes.items())
        if not spec.fallback
    }
    frequency = Counter(w for vocabulary in vocabularies.values() for w in vocabulary)
    weight = {w: 1.0 / (1 + frequency[w]) for w in words}
    best: tuple[float, str, list[str]] | None = None
    total = sum(weight.values()) or 1.0
    for name, vocabulary in vocabularies.items():
        shared = sorted(words & vocabulary)
        if len(shared) >= 2:
            score = sum(weight[w] for w in shared) / total
            if best is None or score > best[0]:
                best = (score, name, shared)
    if best is not None and best[0] >= 0.34 and len(words) >= 3:
        return best[1], f"wording close to {best[1]}'s patterns ({', '.join(best[2][:4])})"
    counts: Counter[int] = Counter()
    for message in members:
        counts.update((statuses or {}).get(message, Counter()))
    if counts:
        status, n = counts.most_common(1)[0]
        target = registry.status_code_for(status)
        if target and not registry.is_fallback(target) and n >= 0.8 * sum(counts.values()):
            return (
                target,
                f"{percent(share(n, sum(counts.values())), 0)} of its rows carry status {status}",
            )
    return None, "no existing code's wording is close: choose a code (or add one)"


def patterns_toml(suggestions: list[Suggestion], registry: Registry, origin: str) -> str:
    """The suggestions as registry entries, commented for review."""
    out = [
        "# Patterns suggested by `errscope residuals`, for review before they join a registry.",
        f"# Registry: {registry.name} {registry.version} ({registry.short_hash}); input: {origin}",
        "# Each entry was tried on the input appended after the registry's patterns: 'absorbs'",
        "# is the residual rows it would classify, 'steals' the rows it would take from other",
        "# codes (should be 0). Entries without a suggested code are commented out.",
        "",
    ]
    for s in suggestions:
        out.append(f"# #{s.rank} template: {s.template}")
        out.append(
            f"# absorbs {s.absorbs} of {s.template_rows} template rows, steals {s.steals}; {s.why}"
        )
        for example in s.examples:
            out.append(f"#   e.g. {truncate(example, 150)}")
        prefix = "" if s.code else "# "
        out.append(f"{prefix}[[patterns]]")
        out.append(f"{prefix}code = {_toml_string(s.code or 'CHOOSE_A_CODE')}")
        out.append(f"{prefix}{s.kind} = {_toml_string(s.text)}")
        out.append(
            f"{prefix}note = {_toml_string('suggested by errscope residuals: ' + s.template[:120])}"
        )
        out.append("")
    return "\n".join(out)


def _toml_string(value: str) -> str:
    """A TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'
