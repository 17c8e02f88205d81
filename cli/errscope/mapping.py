"""Column mapping: where each canonical column comes from in an input row.

The default mapping understands LobeHub's `agent_operations` export (DOMAIN.md section 4) without
flags; `--map field=path` or a `[mapping]` table overrides a field. Paths are dotted
(`error.body.status`); a field may list several paths, the first non-null value wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from errscope.errors import UsageError

# Canonical columns of the `rows` relation, in order, with the mapping key users write.
CANONICAL_COLUMNS: tuple[str, ...] = (
    "id",
    "ts",
    "type",
    "message",
    "status",
    "provider",
    "model",
    "feature",
    "source",
    "user_id",
    "reason",
)
FIELD_TO_COLUMN: dict[str, str] = {
    "id": "id",
    "timestamp": "ts",
    "type": "type",
    "message": "message",
    "status": "status",
    "provider": "provider",
    "model": "model",
    "feature": "feature",
    "source": "source",
    "user": "user_id",
    "reason": "reason",
}
FIELDS: tuple[str, ...] = tuple(FIELD_TO_COLUMN)

LOBEHUB_MAPPING: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "timestamp": ("created_at", "started_at", "completed_at", "updated_at", "timestamp"),
    "type": ("error.type",),
    "message": ("error.message",),
    # The upstream status: body.status, then body.statusCode, then body.error.status.
    # error.httpStatus is LobeHub's own client status (e.g. 471) and is deliberately not used.
    "status": ("error.body.status", "error.body.statusCode", "error.body.error.status"),
    "provider": ("provider", "error.body.provider"),
    "model": ("model",),
    "feature": ("trigger", "feature"),
    "source": ("source",),
    "user": ("user_id",),
    "reason": ("reason",),
}

_PATH_RE = re.compile(r"^[A-Za-z_@][A-Za-z0-9_@:$-]*(\.[A-Za-z_@][A-Za-z0-9_@:$-]*)*$")


# How a field's value is read: text (trimmed), message (kept exactly), status, timestamp.
KIND_TEXT = "text"
KIND_MESSAGE = "message"
KIND_STATUS = "status"
KIND_TIMESTAMP = "timestamp"
CANONICAL_KINDS: dict[str, str] = {
    "timestamp": KIND_TIMESTAMP,
    "status": KIND_STATUS,
    "message": KIND_MESSAGE,
}


@dataclass(frozen=True)
class ColumnMapping:
    """Field -> candidate paths; `error_root` is the container whose presence means "failed".

    `kinds` is set for an input profile's own raw fields (field -> kind, the column is named
    after the field); without it the fields are errscope's canonical ones.
    """

    paths: Mapping[str, tuple[str, ...]]
    kinds: Mapping[str, str] | None = None

    @property
    def error_root(self) -> str | None:
        """The top-level key holding the error object, when type/message are nested in one."""
        if self.kinds is not None:
            return None
        roots = {p.split(".")[0] for f in ("type", "message") for p in self.paths[f] if "." in p}
        return roots.pop() if len(roots) == 1 else None

    def targets(self) -> list[tuple[str, str, str]]:
        """(field, output column, kind) for every field, in order."""
        if self.kinds is not None:
            return [(f, f, kind) for f, kind in self.kinds.items()]
        return [(f, c, CANONICAL_KINDS.get(f, KIND_TEXT)) for f, c in FIELD_TO_COLUMN.items()]

    def all_paths(self) -> Iterable[str]:
        for paths in self.paths.values():
            yield from paths


def build_mapping(
    overrides: Mapping[str, str | list[str]] | None = None,
    base: Mapping[str, tuple[str, ...]] = LOBEHUB_MAPPING,
) -> ColumnMapping:
    """The default mapping with user overrides applied (an override replaces a field's paths)."""
    paths = dict(base)
    for field, value in (overrides or {}).items():
        if field not in FIELD_TO_COLUMN:
            raise UsageError(
                f"unknown mapping field {field!r}",
                hint=f"fields: {', '.join(FIELDS)}",
            )
        candidates = [value] if isinstance(value, str) else list(value)
        for path in candidates:
            validate_path(field, path)
        paths[field] = tuple(candidates)
    return ColumnMapping(paths=paths)


def validate_path(field: str, path: object) -> str:
    """A column name or dotted path, else a usage error naming the field."""
    if not isinstance(path, str) or not _PATH_RE.match(path):
        raise UsageError(
            f"mapping {field}={path!r}: not a column name or dotted path",
            hint="use names like err_msg or payload.error.message",
        )
    return path


def parse_map_options(options: list[str]) -> dict[str, str | list[str]]:
    """`--map message=err_msg` options (a comma gives fallbacks: `timestamp=ts,created`)."""
    parsed: dict[str, str | list[str]] = {}
    for option in options:
        field, sep, value = option.partition("=")
        if not sep or not field.strip() or not value.strip():
            raise UsageError(
                f"--map {option!r}: expected FIELD=PATH", hint="e.g. --map message=err_msg"
            )
        parts = [part.strip() for part in value.split(",") if part.strip()]
        parsed[field.strip()] = parts if len(parts) > 1 else parts[0]
    return parsed
