"""Exporting the refinement as SQL: one query (or view) a team runs in its own engine.

The query is built once, as a sqlglot tree in DuckDB's dialect from queries/registry-export.sql
and the registry, then transpiled by sqlglot to each dialect, with regexes rewritten where the
engine is not RE2 (errscope.regex_flavors). Per row it gives the code errscope computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import cast

import sqlglot
from sqlglot import exp

from errscope import __version__, queries
from errscope.errors import RegistryError, UsageError
from errscope.matcher import pattern_regex
from errscope.refine import NO_CODE
from errscope.regex_flavors import JAVA, POSTGRES, RE2, Untranslatable, lowered_equals, render
from errscope.regex_flavors import translate as translate_regex
from errscope.registry import Pattern, Registry


class Dialect(StrEnum):
    """The SQL dialects `registry export` writes."""

    duckdb = "duckdb"
    postgres = "postgres"
    clickhouse = "clickhouse"
    spark = "spark"
    bigquery = "bigquery"
    trino = "trino"


# Which regex syntax each engine's regex function reads.
REGEX_FLAVOR: dict[Dialect, str] = {
    Dialect.duckdb: RE2,  # regexp_matches
    Dialect.clickhouse: RE2,  # match
    Dialect.bigquery: RE2,  # REGEXP_CONTAINS
    Dialect.postgres: POSTGRES,  # ~ (ARE)
    Dialect.spark: JAVA,  # RLIKE (java.util.regex)
    Dialect.trino: JAVA,  # regexp_like (Joni, Java syntax)
}
# Engines that keep few compiled regexes get the query shaped pattern by pattern: PostgreSQL
# caches 32 per session, so a CASE over 150 patterns would recompile them on every row.
BY_PATTERN = frozenset({Dialect.postgres})
BASE = Dialect.duckdb
DEFAULT_SOURCE = "errors"
CANONICAL_INPUTS = ("type", "message", "status", "provider")
OUTPUT_COLUMNS = (
    "errscope_stored_code",
    "errscope_first_match",
    "errscope_status",
    "errscope_code",
    "errscope_step",
    "errscope_pattern",
    "errscope_numeric_id",
    "errscope_category",
    "errscope_retryable",
    "errscope_count_as_failure",
    "errscope_fallback",
)
_CODE_COLUMNS = (
    "code",
    "numeric_id",
    "category",
    "severity",
    "attribution",
    "retryable",
    "count_as_failure",
    "fallback",
)
_DIGITS = "0123456789"
_REGEX_ROWS = "errscope_regex_rows"
_WIDTH = 100  # pretty-printing: a code row stays on one line


def parse_dialect(name: str) -> Dialect:
    """A Dialect from its name; a UsageError listing the choices otherwise."""
    try:
        return Dialect(name.lower())
    except ValueError:
        raise UsageError(
            f"unknown dialect {name!r}",
            hint=f"choose one of: {', '.join(d.value for d in Dialect)}",
        ) from None


def export_sql(
    registry: Registry,
    dialect: Dialect | str = BASE,
    *,
    view: str | None = None,
    source: str = DEFAULT_SOURCE,
    full_rerun: bool = False,
) -> str:
    """The refinement as SQL text for `dialect`: a SELECT over `source` (a table or view with
    columns type, message, status, provider; other columns pass through), or with `view` a
    CREATE OR REPLACE VIEW statement. Raises RegistryError naming a pattern the dialect cannot
    express exactly."""
    target = parse_dialect(dialect) if isinstance(dialect, str) else dialect
    tree = export_tree(registry, target, source=source, full_rerun=full_rerun)
    if view is not None:
        tree = exp.Create(this=_table(view, "--view"), kind="VIEW", replace=True, expression=tree)
    body = tree.sql(dialect=target.value, pretty=True, max_text_width=_WIDTH)
    end = ";\n" if view is not None else "\n"
    return _header(registry, target, source, view, full_rerun) + body + end


def export_tree(
    registry: Registry,
    dialect: Dialect,
    *,
    source: str = DEFAULT_SOURCE,
    full_rerun: bool = False,
) -> exp.Expression:
    """The query as a sqlglot tree: built in DuckDB's dialect, regexes ported to `dialect`."""
    builder = _Builder(registry, full_rerun=full_rerun)
    shape = "registry-export-by-pattern" if dialect in BY_PATTERN else "registry-export"
    text = queries.get(shape).sql
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    template = sqlglot.parse_one(body, read=BASE.value)
    fills = builder.fills(_table(source, "--from"))
    tree = template.transform(
        lambda node: (
            fills[node.name].copy()
            if isinstance(node, exp.Placeholder) and node.name in fills
            else node
        )
    )
    left = sorted({p.name for p in tree.find_all(exp.Placeholder)})
    assert not left, f"{shape}.sql has placeholders errscope does not fill: {left}"
    flavor = REGEX_FLAVOR[dialect]
    if flavor != RE2:
        tree = tree.transform(lambda node: _port(node, flavor, dialect, builder.origins))
    if dialect == Dialect.clickhouse:
        # ClickHouse fills an unmatched LEFT JOIN side with defaults ('' and 0), not NULL.
        assert isinstance(tree, exp.Select)
        tree.set("settings", [exp.EQ(this=exp.column("join_use_nulls"), expression=_num(1))])
    return tree


def _header(
    registry: Registry, dialect: Dialect, source: str, view: str | None, full_rerun: bool
) -> str:
    flavor = REGEX_FLAVOR[dialect]
    regexes = {
        RE2: "regexes as errscope runs them (RE2)",
        POSTGRES: "regexes rewritten from RE2 for PostgreSQL's ARE (needs a UTF8 database)",
        JAVA: "regexes rewritten from RE2 for Java regex syntax",
    }[flavor]
    lines = [
        f"errscope {__version__} registry export, dialect {dialect.value}: {regexes}",
        f"registry {registry.name} {registry.version} (sha256 {registry.content_hash})",
        f"reads {source} ({', '.join(CANONICAL_INPUTS)}; other columns pass through)"
        + (f", defines view {view}" if view else ""),
        f"adds {', '.join(OUTPUT_COLUMNS)}",
    ]
    if full_rerun:
        lines.append("full re-run: every stored code is refined as if it were a catch-all")
    return "".join(f"-- {line}\n" for line in lines)


def _table(name: str, option: str) -> exp.Table:
    try:
        table = exp.to_table(name, dialect=BASE.value)
    except sqlglot.errors.ParseError as exc:
        raise UsageError(f"{option} {name!r} is not a table name: {exc}") from None
    if not isinstance(table, exp.Table) or not table.name:
        raise UsageError(f"{option} {name!r} is not a table name")
    return table


def _port(
    node: exp.Expression, flavor: str, dialect: Dialect, origins: dict[str, str]
) -> exp.Expression:
    """A regex literal (in a regex call, or a row of the regex table) rewritten for `flavor`."""
    if isinstance(node, exp.RegexpLike) and isinstance(node.expression, exp.Literal):
        regex = _ported(node.expression.this, flavor, dialect, origins)
        return exp.RegexpLike(this=node.this.copy(), expression=_str(regex))
    if isinstance(node, exp.Tuple) and _in_regex_rows(node):
        position, regex = node.expressions
        return exp.Tuple(
            expressions=[position.copy(), _str(_ported(regex.this, flavor, dialect, origins))]
        )
    return node


def _in_regex_rows(node: exp.Expression) -> bool:
    values = node.parent
    return isinstance(values, exp.Values) and values.alias == _REGEX_ROWS


def _ported(regex: str, flavor: str, dialect: Dialect, origins: dict[str, str]) -> str:
    try:
        return translate_regex(regex, flavor)
    except Untranslatable as exc:
        raise RegistryError(
            f"{origins.get(regex, 'a regex')} cannot be exported to {dialect.value} exactly: {exc}",
            hint="rewrite the pattern without it, or export to an RE2 engine "
            "(duckdb, clickhouse, bigquery)",
        ) from None


def _str(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _num(value: int) -> exp.Expression:
    return exp.Literal.number(value)


def _in(expression: exp.Expression, names: set[str] | frozenset[str]) -> exp.Expression:
    if not names:
        return exp.false()
    return exp.In(this=expression, expressions=[_str(n) for n in sorted(names)])


def _null(type_name: str) -> exp.Expression:
    return exp.Cast(this=exp.null(), to=exp.DataType.build(type_name))


def _and(parts: list[exp.Expression]) -> exp.Expression:
    result = parts[0]
    for part in parts[1:]:
        result = exp.And(this=result, expression=part)
    return result


def _case(
    ifs: Sequence[tuple[exp.Expression, exp.Expression]],
    default: exp.Expression | None = None,
) -> exp.Case:
    case = exp.Case(ifs=[exp.If(this=cond, true=value) for cond, value in ifs])
    if default is not None:
        case.set("default", default)
    return case


class _Builder:
    """The registry's pieces of the query, as sqlglot expressions in DuckDB's dialect."""

    def __init__(self, registry: Registry, *, full_rerun: bool) -> None:
        self.registry = registry
        self.full_rerun = full_rerun
        self.origins: dict[str, str] = {}  # regex text -> the pattern it came from

    def names_resolving_to(self, codes: frozenset[str]) -> set[str]:
        """Stored names whose resolved code is in `codes` (the codes themselves and aliases)."""
        aliases = self.registry.aliases
        return {n for n in codes if n not in aliases} | {
            a for a, code in aliases.items() if code in codes
        }

    def stored(self, table: str) -> exp.Expression:
        return exp.Coalesce(this=exp.column("type", table=table), expressions=[_str(NO_CODE)])

    def resolved(self, table: str) -> exp.Expression:
        if not self.registry.aliases:
            return self.stored(table)
        return exp.Case(
            this=self.stored(table),
            ifs=[
                exp.If(this=_str(alias), true=_str(code))
                for alias, code in sorted(self.registry.aliases.items())
            ],
            default=self.stored(table),
        )

    def looked(self, table: str, codes: frozenset[str]) -> exp.Expression:
        if self.full_rerun:
            return exp.true()
        return _in(self.stored(table), self.names_resolving_to(codes))

    def fills(self, source: exp.Table) -> dict[str, exp.Expression]:
        """What each :placeholder of the query templates stands for."""
        registry = self.registry
        return {
            "codes": self.code_rows(),
            "patterns": self.pattern_rows(),
            "regexes": self.regex_rows(),
            "source": source,
            "stored_code": self.resolved("src"),
            "first_match": self.first_match("src"),
            "pattern_refinable": self.looked("src", registry.pattern_refinable),
            "in_scope": self.in_scope(
                exp.column("pattern_position", table="h"),
                exp.column("errscope_stored", table="k"),
                exp.column("errscope_provider", table="k"),
            ),
            "status_read": self.status_read("src"),
            "refinable": exp.paren(
                self.looked("m", registry.pattern_refinable | registry.status_refinable)
            ),
            "stored": self.stored("m"),
            "status_code": self.status_code(exp.column("errscope_status", table="m")),
        }

    def code_rows(self) -> exp.Values:
        rows: list[tuple[object, ...]] = [
            (
                spec.name,
                spec.id,
                spec.category,
                spec.severity,
                spec.attribution,
                spec.retryable,
                spec.count_as_failure,
                spec.fallback,
            )
            for spec in sorted(self.registry.codes.values(), key=lambda s: s.name)
        ]
        # Stored names without a spec that patterns refine are catch-alls (LobeHub's "500").
        for name in sorted(self.registry.pattern_refinable):
            if name not in self.registry.codes and name not in self.registry.aliases:
                # Typed NULLs: BigQuery and Trino infer a VALUES column's type from its rows.
                id_, severity, attribution = (_null("VARCHAR") for _ in range(3))
                rows.append(
                    (name, id_, "unspecified", severity, attribution, False, True, True)
                )
        return exp.values(rows, alias="errscope_code_rows", columns=list(_CODE_COLUMNS))

    def pattern_rows(self) -> exp.Values:
        rows: list[tuple[object, ...]] = [(p.position, p.code) for p in self.registry.patterns]
        return exp.values(
            rows or [(0, "")],
            alias="errscope_pattern_rows",
            columns=["pattern_position", "pattern_code"],
        )

    def regex_rows(self) -> exp.Values:
        """Every pattern as an RE2 regex (substrings escaped), for the by-pattern shape."""
        rows: list[tuple[object, ...]] = []
        for pattern in self.registry.patterns:
            self.check_text(pattern)
            regex = pattern_regex(pattern)
            self.origins[regex] = f"pattern {pattern.label()}"
            rows.append((pattern.position, regex))
        return exp.values(
            rows or [(0, "(?s)(?:$.)")],
            alias=_REGEX_ROWS,
            columns=["pattern_position", "pattern_regex"],
        )

    def first_match(self, table: str) -> exp.Expression:
        """The position of the first pattern in scope that matches, for rows patterns refine."""
        patterns = self.registry.patterns
        if not patterns:
            return _null("INT")
        message = exp.column("message", table=table)
        stored = self.stored(table)
        provider = exp.Coalesce(  # scopes read a missing provider as ''
            this=exp.column("provider", table=table), expressions=[_str("")]
        )
        branches = [
            (_and([*self.scope(p, stored, provider), self.match(p, table)]), _num(p.position))
            for p in patterns
        ]
        looked = self.looked(table, self.registry.pattern_refinable)
        nonempty = exp.NEQ(this=message, expression=_str(""))  # errscope matches no empty text
        return _case([(_and([looked, nonempty]), _case(branches))])

    def in_scope(
        self, position: exp.Expression, stored: exp.Expression, provider: exp.Expression
    ) -> exp.Expression:
        """Whether the pattern at `position` may decide a row with this stored code and provider
        (both expressions already coalesced: NULL read as '(none)' and '')."""
        ifs = []
        for pattern in self.registry.patterns:
            parts = self.scope(pattern, stored, provider)
            if parts:
                ifs.append(exp.If(this=_num(pattern.position), true=_and(parts)))
        if not ifs:
            return exp.true()
        return exp.Case(this=position, ifs=ifs, default=exp.true())

    def scope(
        self, pattern: Pattern, stored: exp.Expression, provider: exp.Expression
    ) -> list[exp.Expression]:
        """The pattern's provider and stored-code scopes as conditions (none when unscoped)."""
        parts: list[exp.Expression] = []
        if pattern.providers is not None:
            try:
                regex = render(lowered_equals(pattern.providers), RE2)
            except Untranslatable as exc:
                raise RegistryError(
                    f"the provider scope of pattern {pattern.label()} cannot be exported: {exc}"
                ) from None
            self.origins[regex] = f"the provider scope of pattern {pattern.label()}"
            parts.append(exp.RegexpLike(this=provider.copy(), expression=_str(regex)))
        if pattern.stored_codes is not None:
            parts.append(_in(stored.copy(), self.stored_scope(pattern.stored_codes)))
        return parts

    def stored_scope(self, codes: frozenset[str]) -> set[str]:
        """Stored names in a stored-code scope: listed, or an alias of a listed code."""
        return set(codes) | {a for a, code in self.registry.aliases.items() if code in codes}

    def check_text(self, pattern: Pattern) -> None:
        if "\x00" in pattern.text:
            raise RegistryError(
                f"pattern {pattern.label()} holds a NUL character, which SQL text cannot carry"
            )

    def match(self, pattern: Pattern, table: str) -> exp.Expression:
        message = exp.column("message", table=table)
        self.check_text(pattern)
        if pattern.kind == "substring" and not pattern.ignore_case:
            # A plain substring: position, not LIKE (no wildcards or escapes to get wrong).
            return exp.GT(
                this=exp.StrPosition(this=message, substr=_str(pattern.text)),
                expression=_num(0),
            )
        regex = pattern_regex(pattern)
        self.origins[regex] = f"pattern {pattern.label()}"
        return exp.RegexpLike(this=message, expression=_str(regex))

    def status_read(self, table: str) -> exp.Expression:
        """The status the status pass reads: structured, else a leading 4xx/5xx when enabled."""
        codes = self.registry.status_refinable
        if not codes and not self.full_rerun:
            return _null("INT")
        status: exp.Expression = exp.column("status", table=table)
        if self.registry.leading_status:
            status = exp.Coalesce(this=status, expressions=[self.leading_status(table)])
        if self.full_rerun:
            # A full re-run lets the status map decide only catch-alls and names the registry
            # does not know (errscope.refine): a blunt status never demotes a specific code.
            specific = frozenset(n for n, spec in self.registry.codes.items() if not spec.fallback)
            # cast: sqlglot 30.x types or_() as Condition, not always an Expression subclass
            decides: exp.Expression = cast(
                exp.Expression,
                exp.or_(
                    _in(self.stored(table), self.names_resolving_to(codes)),
                    exp.not_(_in(self.stored(table), self.names_resolving_to(specific))),
                ),
            )
        else:
            decides = self.looked(table, codes)
        return _case([(decides, status)])

    def leading_status(self, table: str) -> exp.Expression:
        """A 4xx/5xx at the very start of the message, not followed by another digit.

        Spelt with substrings and digit lists: no regex, no cast, no collation-dependent
        comparison, the same in every engine (ClickHouse's byte substrings included: the first
        three are ASCII digits whenever this yields a number).
        """
        message = exp.column("message", table=table)

        def char(at: int) -> exp.Expression:
            return exp.Substring(this=message.copy(), start=_num(at), length=_num(1))

        def digit_value(at: int, scale: int, digits: str) -> exp.Expression:
            return exp.Case(
                this=char(at),
                ifs=[exp.If(this=_str(d), true=_num(int(d) * scale)) for d in digits],
            )

        number = exp.Add(
            this=exp.Add(this=digit_value(1, 100, "45"), expression=digit_value(2, 10, _DIGITS)),
            expression=digit_value(3, 1, _DIGITS),
        )
        return _case([(_in(char(4), set(_DIGITS)), _null("INT"))], exp.paren(number))

    def status_code(self, status: exp.Expression) -> exp.Expression:
        ifs = []
        for rule in self.registry.status_map:
            if rule.low == rule.high:
                cond: exp.Expression = exp.EQ(this=status.copy(), expression=_num(rule.low))
            else:
                cond = exp.Between(this=status.copy(), low=_num(rule.low), high=_num(rule.high))
            ifs.append((cond, _str(rule.code)))
        return _case(ifs) if ifs else _null("VARCHAR")
