"""The optional config file (`--config errscope.toml`): registry, column mapping, source rules.

```toml
registry = "registries/ours.toml"
[mapping]
message = "err_msg"
timestamp = ["ts", "created_at"]
[[source_rules]]
when = "provider = 'lobehub'"
source = "platform"
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from errscope.errors import UsageError
from errscope.loader import SourceRule

_FIELDS = {"registry", "mapping", "source_rules"}


@dataclass(frozen=True)
class Config:
    """Settings read from a config file; command-line options override them."""

    registry: str | None = None
    mapping: dict[str, str | list[str]] = field(default_factory=dict)
    source_rules: tuple[SourceRule, ...] | None = None


def load_config(path: str | None) -> Config:
    """Read a config file; None gives the empty config."""
    if path is None:
        return Config()
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"config file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config {path}: {exc}") from exc
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise UsageError(
            f"{path}: unknown field {unknown[0]!r}", hint=f"allowed: {', '.join(sorted(_FIELDS))}"
        )
    registry = data.get("registry")
    if registry is not None and not isinstance(registry, str):
        raise UsageError(f"{path}: registry must be a path string")
    if registry is not None and not Path(registry).is_absolute():
        registry = str((file.parent / registry).resolve())
    mapping = data.get("mapping", {})
    if not isinstance(mapping, dict):
        raise UsageError(f"{path}: [mapping] must be a table of field = path")
    rules = None
    if "source_rules" in data:
        rules = tuple(parse_rule_table(path, n, r) for n, r in enumerate(data["source_rules"], 1))
    return Config(registry=registry, mapping=mapping, source_rules=rules)


def parse_rule_table(path: str, number: int, table: object) -> SourceRule:
    if not isinstance(table, dict) or set(table) != {"when", "source"}:
        raise UsageError(f"{path}: source_rules entry {number} needs exactly `when` and `source`")
    when, source = table["when"], table["source"]
    if not isinstance(when, str) or not isinstance(source, str) or not source.strip():
        raise UsageError(f"{path}: source_rules entry {number}: when and source must be strings")
    return SourceRule(when=when, source=source.strip().lower())


def parse_rule_option(option: str) -> SourceRule:
    """`--source-rule "provider = 'lobehub' => platform"`."""
    when, sep, source = option.rpartition("=>")
    if not sep or not when.strip() or not source.strip():
        raise UsageError(
            f"--source-rule {option!r}: expected CONDITION => SOURCE",
            hint="e.g. --source-rule \"provider = 'lobehub' => platform\"",
        )
    return SourceRule(when=when.strip(), source=source.strip().lower())
