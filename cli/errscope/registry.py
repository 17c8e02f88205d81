"""The classification registry: codes, aliases, refinement settings and ordered patterns.

A registry is a TOML file that users edit and review in pull requests; `load_registry` reads and
validates one strictly (unknown fields are errors) and stamps it with a content hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from errscope.errors import RegistryError

CATEGORY_DIGITS: dict[str, str] = {
    "auth": "1",
    "quota": "2",
    "capacity": "3",
    "request": "4",
    "safety": "5",
    "network": "6",
    "stream": "7",
    "provider": "8",
    "config": "9",
}
SEVERITIES = ("info", "warning", "error", "critical")
ATTRIBUTIONS = ("user", "provider", "harness", "system")
BUILTIN_REGISTRIES = ("default", "tale")
# What a failure retires in a fallback loop (Tale's failure scopes, DOMAIN.md section 6).
SCOPES = ("credential", "credit", "endpoint", "model", "terminal")

_ID_RE = re.compile(r"^E\d{4}$")
_TOP_FIELDS = {"registry", "codes", "aliases", "refinement", "patterns"}
_META_FIELDS = {"name", "version", "description"}
_CODE_FIELDS = {
    "id",
    "category",
    "severity",
    "attribution",
    "retryable",
    "count_as_failure",
    "fallback",
    "description",
    "scope",
}
_REFINEMENT_FIELDS = {"pattern_refinable", "status_refinable", "leading_status", "status_map"}
_STATUS_RULE_FIELDS = {"status", "from", "to", "code"}
_PATTERN_FIELDS = {
    "code",
    "substring",
    "regex",
    "ignore_case",
    "providers",
    "stored_codes",
    "note",
}


@dataclass(frozen=True)
class CodeSpec:
    """One error code: its numeric id and the flags reports and retries depend on."""

    name: str
    id: str
    category: str
    severity: str
    attribution: str
    retryable: bool
    count_as_failure: bool
    fallback: bool
    description: str = ""
    scope: str | None = None


@dataclass(frozen=True)
class Pattern:
    """One ordered message pattern; `position` is 1-based, as users count in the file."""

    position: int
    code: str
    kind: str  # "substring" or "regex"
    text: str
    ignore_case: bool
    providers: frozenset[str] | None
    stored_codes: frozenset[str] | None
    note: str = ""

    def label(self) -> str:
        """A short human form such as `#12 regex (?i)rate.?limit`."""
        flag = " (ignore case)" if self.ignore_case and self.kind == "substring" else ""
        return f"#{self.position} {self.kind} {self.text!r}{flag}"

    def in_scope(self, provider: str | None, stored_code: str) -> bool:
        """True when the pattern may decide a row from this provider with this stored code."""
        if self.providers is not None and (provider or "").lower() not in self.providers:
            return False
        return self.stored_codes is None or stored_code in self.stored_codes


@dataclass(frozen=True)
class StatusRule:
    """Status-map entry: an inclusive range of HTTP statuses and the code it maps to."""

    low: int
    high: int
    code: str

    def covers(self, status: int) -> bool:
        return self.low <= status <= self.high


@dataclass(frozen=True)
class Registry:
    """A loaded, validated registry. `content_hash` identifies what it decides, not its layout."""

    name: str
    version: str
    description: str
    codes: Mapping[str, CodeSpec]
    aliases: Mapping[str, str]
    pattern_refinable: frozenset[str]
    status_refinable: frozenset[str]
    leading_status: bool
    status_map: tuple[StatusRule, ...]
    patterns: tuple[Pattern, ...]
    content_hash: str
    origin: str = "<memory>"
    text: str = field(default="", repr=False)

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    def stamp(self) -> dict[str, str]:
        """The registry identity stamped on every result."""
        return {"name": self.name, "version": self.version, "hash": self.content_hash}

    def resolve(self, code: str) -> str:
        """Follow an alias to its code; other names come back unchanged."""
        return self.aliases.get(code, code)

    def spec(self, code: str | None) -> CodeSpec | None:
        """The spec of a code or alias, or None for names the registry does not define."""
        if code is None:
            return None
        return self.codes.get(self.resolve(code))

    def is_fallback(self, code: str | None) -> bool:
        """A catch-all bucket: a fallback code, or an unspecified stored name that patterns refine.

        LobeHub's bare `500` has no spec but is pattern-refinable: it is a catch-all by
        construction, so it counts toward the fallback share.
        """
        if code is None:
            return False
        spec = self.spec(code)
        if spec is not None:
            return spec.fallback
        return code in self.pattern_refinable

    def status_code_for(self, status: int) -> str | None:
        """The status map's code for an HTTP status (first rule that covers it), else None."""
        for rule in self.status_map:
            if rule.covers(status):
                return rule.code
        return None


def load_registry(path: str | Path | None = None) -> Registry:
    """Load a registry file, or a built-in one by name (`default`); None means the default."""
    if path is None or str(path) in BUILTIN_REGISTRIES:
        name = "default" if path is None else str(path)
        text = resources.files("errscope").joinpath(f"registries/{name}.toml").read_text("utf-8")
        return parse_registry(text, origin=f"builtin:{name}")
    file = Path(path)
    if not file.is_file():
        raise RegistryError(
            f"registry file not found: {file}",
            hint=f"pass a TOML registry path, or one of the built-in names: "
            f"{', '.join(BUILTIN_REGISTRIES)}",
        )
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"cannot read registry {file}: {exc}") from exc
    return parse_registry(text, origin=str(file))


def parse_registry(text: str, origin: str = "<memory>") -> Registry:
    """Parse and validate registry TOML text; every problem raises RegistryError naming where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(
            f"{origin}: not valid TOML: {exc}", hint="check quoting and duplicate keys"
        ) from exc
    return replace(_build(data, origin), text=text)


def content_hash(data: Mapping[str, Any]) -> str:
    """sha256 of the registry's canonical JSON form: formatting and comments do not change it."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _fail(origin: str, where: str, what: str, hint: str | None = None) -> RegistryError:
    return RegistryError(f"{origin}: {where}: {what}", hint=hint)


def _check_fields(origin: str, where: str, table: Any, allowed: set[str]) -> None:
    if not isinstance(table, dict):
        raise _fail(origin, where, "expected a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(
            origin,
            where,
            f"unknown field {unknown[0]!r}",
            hint=f"allowed fields: {', '.join(sorted(allowed))}",
        )


def _typed(origin: str, where: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _fail(origin, where, f"{what} must be {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "true or false", int: "an integer", list: "a list"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _string_list(origin: str, where: str, value: Any, what: str) -> list[str]:
    _typed(origin, where, value, list, what)
    for item in value:
        _typed(origin, where, item, str, f"each entry of {what}")
    return list(value)


def _build(data: dict[str, Any], origin: str) -> Registry:
    _check_fields(origin, "top level", data, _TOP_FIELDS)
    meta = data.get("registry")
    if meta is None:
        raise _fail(origin, "[registry]", "missing", hint="add [registry] with name and version")
    _check_fields(origin, "[registry]", meta, _META_FIELDS)
    name = _typed(origin, "[registry]", meta.get("name"), str, "name")
    version = _typed(origin, "[registry]", meta.get("version"), str, "version")
    description = _typed(origin, "[registry]", meta.get("description", ""), str, "description")

    codes = _build_codes(origin, data.get("codes", {}))
    aliases = _build_aliases(origin, data.get("aliases", {}), codes)
    refinement = data.get("refinement", {})
    _check_fields(origin, "[refinement]", refinement, _REFINEMENT_FIELDS)
    known = set(codes) | set(aliases)

    def code_ref(where: str, value: Any) -> str:
        ref = _typed(origin, where, value, str, "code")
        if ref not in known:
            raise _fail(origin, where, f"unknown code {ref!r}", hint=_did_you_mean(ref, known))
        return aliases.get(ref, ref)

    pattern_refinable = _string_list(
        origin, "[refinement]", refinement.get("pattern_refinable", []), "pattern_refinable"
    )
    status_refinable = _string_list(
        origin, "[refinement]", refinement.get("status_refinable", []), "status_refinable"
    )
    leading_status = _typed(
        origin, "[refinement]", refinement.get("leading_status", False), bool, "leading_status"
    )
    status_map = _build_status_map(origin, refinement.get("status_map", []), code_ref)
    patterns = _build_patterns(origin, data.get("patterns", []), code_ref)
    return Registry(
        name=name,
        version=version,
        description=description,
        codes=codes,
        aliases=aliases,
        pattern_refinable=frozenset(pattern_refinable),
        status_refinable=frozenset(status_refinable),
        leading_status=leading_status,
        status_map=tuple(status_map),
        patterns=tuple(patterns),
        content_hash=content_hash(data),
        origin=origin,
    )


def _build_codes(origin: str, table: Any) -> dict[str, CodeSpec]:
    if not isinstance(table, dict) or not table:
        raise _fail(origin, "[codes]", "a registry needs at least one code")
    codes: dict[str, CodeSpec] = {}
    seen_ids: dict[str, str] = {}
    for name, body in table.items():
        where = f"[codes.{name}]"
        _check_fields(origin, where, body, _CODE_FIELDS)
        code_id = _typed(origin, where, body.get("id"), str, "id")
        category = _typed(origin, where, body.get("category"), str, "category")
        if category not in CATEGORY_DIGITS:
            raise _fail(
                origin,
                where,
                f"unknown category {category!r}",
                hint=f"one of: {', '.join(CATEGORY_DIGITS)}",
            )
        if not _ID_RE.match(code_id):
            raise _fail(origin, where, f"id {code_id!r} is not E followed by four digits")
        if code_id[1] != CATEGORY_DIGITS[category]:
            raise _fail(
                origin,
                where,
                f"id {code_id} does not match category {category!r}",
                hint=f"{category} ids start with E{CATEGORY_DIGITS[category]}",
            )
        if code_id in seen_ids:
            raise _fail(
                origin, where, f"duplicate id {code_id}, already used by {seen_ids[code_id]}"
            )
        seen_ids[code_id] = name
        severity = _typed(origin, where, body.get("severity", "error"), str, "severity")
        if severity not in SEVERITIES:
            raise _fail(
                origin,
                where,
                f"unknown severity {severity!r}",
                hint=f"one of: {', '.join(SEVERITIES)}",
            )
        attribution = _typed(origin, where, body.get("attribution"), str, "attribution")
        if attribution not in ATTRIBUTIONS:
            raise _fail(
                origin,
                where,
                f"unknown attribution {attribution!r}",
                hint=f"one of: {', '.join(ATTRIBUTIONS)}",
            )
        scope = body.get("scope")
        if scope is not None:
            _typed(origin, where, scope, str, "scope")
            if scope not in SCOPES:
                raise _fail(
                    origin, where, f"unknown scope {scope!r}", hint=f"one of: {', '.join(SCOPES)}"
                )
        codes[name] = CodeSpec(
            name=name,
            id=code_id,
            category=category,
            severity=severity,
            attribution=attribution,
            retryable=_typed(origin, where, body.get("retryable", False), bool, "retryable"),
            count_as_failure=_typed(
                origin, where, body.get("count_as_failure", False), bool, "count_as_failure"
            ),
            fallback=_typed(origin, where, body.get("fallback", False), bool, "fallback"),
            description=_typed(origin, where, body.get("description", ""), str, "description"),
            scope=scope,
        )
    return codes


def _build_aliases(origin: str, table: Any, codes: Mapping[str, CodeSpec]) -> dict[str, str]:
    if not isinstance(table, dict):
        raise _fail(origin, "[aliases]", "expected a table of alias = code")
    aliases: dict[str, str] = {}
    for alias, target in table.items():
        where = f"[aliases] {alias}"
        _typed(origin, where, target, str, "alias target")
        if alias in codes:
            raise _fail(origin, where, "an alias cannot have the name of a code")
        if target not in codes:
            raise _fail(
                origin, where, f"unknown code {target!r}", hint=_did_you_mean(target, set(codes))
            )
        aliases[alias] = target
    return aliases


def _build_status_map(origin: str, rules: Any, code_ref: Any) -> list[StatusRule]:
    _typed(origin, "[refinement]", rules, list, "status_map")
    built = []
    for number, rule in enumerate(rules, start=1):
        where = f"[refinement] status_map entry {number}"
        _check_fields(origin, where, rule, _STATUS_RULE_FIELDS)
        code = code_ref(where, rule.get("code"))
        if "status" in rule:
            if "from" in rule or "to" in rule:
                raise _fail(origin, where, "give either status or from/to, not both")
            low = high = _typed(origin, where, rule["status"], int, "status")
        else:
            low = _typed(origin, where, rule.get("from"), int, "from")
            high = _typed(origin, where, rule.get("to"), int, "to")
            if low > high:
                raise _fail(origin, where, f"from {low} is above to {high}")
        built.append(StatusRule(low=low, high=high, code=code))
    return built


def _build_patterns(origin: str, entries: Any, code_ref: Any) -> list[Pattern]:
    from errscope.matcher import check_pattern  # local: matcher depends on this module's types

    _typed(origin, "[[patterns]]", entries, list, "patterns")
    built = []
    for position, entry in enumerate(entries, start=1):
        where = f"pattern #{position}"
        _check_fields(origin, where, entry, _PATTERN_FIELDS)
        has_sub, has_re = "substring" in entry, "regex" in entry
        if has_sub == has_re:
            raise _fail(origin, where, "give exactly one of substring or regex")
        kind = "substring" if has_sub else "regex"
        text = _typed(origin, where, entry[kind], str, kind)
        if not text:
            raise _fail(origin, where, f"empty {kind}", hint="an empty pattern matches everything")
        code = code_ref(where, entry.get("code"))
        ignore_case = _typed(origin, where, entry.get("ignore_case", False), bool, "ignore_case")
        providers = entry.get("providers")
        stored = entry.get("stored_codes")
        pattern = Pattern(
            position=position,
            code=code,
            kind=kind,
            text=text,
            ignore_case=ignore_case,
            providers=None
            if providers is None
            else frozenset(p.lower() for p in _string_list(origin, where, providers, "providers")),
            stored_codes=None
            if stored is None
            else frozenset(_string_list(origin, where, stored, "stored_codes")),
            note=_typed(origin, where, entry.get("note", ""), str, "note"),
        )
        problem = check_pattern(pattern)
        if problem:
            raise _fail(
                origin,
                f"{where} ({kind} {text!r})",
                f"the linear-time engine (RE2) cannot compile it: {problem}",
                hint="RE2 has no backreferences or lookaround; rewrite without them",
            )
        built.append(pattern)
    return built


def _did_you_mean(name: str, known: set[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else None
