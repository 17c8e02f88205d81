"""Input profiles: documented mappings from another system's export into the canonical columns.

A profile other than `lobehub` is one SQL file, queries/profile-<name>.sql. Its header names the
raw fields to read (`-- field NAME (kind): path | path`), how to recognise the system
(`-- detect:` a condition over those fields), and whether every row is re-classified
(`-- rerun: full`). Its body is a SELECT over the relation `extracted` (one row per input row, the
raw fields as columns, plus `_file, _blank, _valid`) that returns the canonical columns, a
`_problem` column (why a row is skipped, NULL when it is analysed) and the profile's `x_` extras.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from errscope import queries
from errscope.errors import QueryError, UsageError
from errscope.mapping import (
    CANONICAL_COLUMNS,
    KIND_MESSAGE,
    KIND_STATUS,
    KIND_TEXT,
    KIND_TIMESTAMP,
    LOBEHUB_MAPPING,
    ColumnMapping,
    validate_path,
)
from errscope.report import Report, Section

LOBEHUB = "lobehub"
_KINDS = (KIND_TEXT, KIND_MESSAGE, KIND_STATUS, KIND_TIMESTAMP)
_FIELD_RE = re.compile(r"^field ([a-z][a-z0-9_]*)(?: \((\w+)\))?$")
_EXTRA_RE = re.compile(r"^x_[a-z0-9_]+$")
# Rows read to recognise a profile; detection needs one row that only that profile explains.
DETECT_SAMPLE_ROWS = 200


@dataclass(frozen=True)
class Profile:
    """One input layout: where its raw fields are, how to recognise it, how to re-run it."""

    name: str
    description: str
    paths: Mapping[str, tuple[str, ...]]
    kinds: Mapping[str, str]
    detect: str
    body: str = ""
    full_rerun: bool = False
    registry: str | None = None
    extras: tuple[str, ...] = ()
    origin: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def is_mapping_only(self) -> bool:
        """True for `lobehub`: the canonical columns come straight from the mapping paths."""
        return not self.body

    def mapping(self, overrides: Mapping[str, str | list[str]] | None = None) -> ColumnMapping:
        """The raw-field mapping, with `--map FIELD=PATH` overrides of this profile's fields."""
        paths = dict(self.paths)
        for name, value in (overrides or {}).items():
            if name not in paths:
                raise UsageError(
                    f"profile {self.name} has no field {name!r}",
                    hint=f"its fields: {', '.join(paths)}",
                )
            candidates = [value] if isinstance(value, str) else list(value)
            paths[name] = tuple(validate_path(name, p) for p in candidates)
        return ColumnMapping(paths=paths, kinds=dict(self.kinds))

    def wrap(self, extracted: str) -> str:
        """The profile body over `extracted` (the raw-field projection), typed canonically."""
        typed = ", ".join(_typed_column(c) for c in CANONICAL_COLUMNS)
        extras = "".join(f", {x}" for x in self.extras)
        return (
            f"WITH extracted AS ({extracted}), profiled AS ({self.body.strip().rstrip(';')}) "
            f"SELECT _file, _blank, _valid, NULL::BOOLEAN AS _error_present, {typed}, "
            f"CAST(_problem AS VARCHAR) AS _problem{extras} FROM profiled"
        )


def _typed_column(column: str) -> str:
    if column == "ts":
        return "CAST(ts AS TIMESTAMP) AS ts"
    if column == "status":
        return "TRY_CAST(status AS INTEGER) AS status"
    return f"CAST({column} AS VARCHAR) AS {column}"


LOBEHUB_PROFILE = Profile(
    name=LOBEHUB,
    description=(
        "LobeHub's agent_operations export (DOMAIN.md section 4): the error object (or its JSON "
        "string) with type, message and body.status; the default, adjustable with --map."
    ),
    paths=LOBEHUB_MAPPING,
    kinds={},
    detect="type IS NOT NULL OR message IS NOT NULL",
    origin="errscope.mapping.LOBEHUB_MAPPING",
)


def parse_profile(query: queries.Query) -> Profile:
    """A profile from its query file; every header problem names the file."""
    header = dict(query.header)
    name = header.get("profile", "")
    where = f"queries/{query.name}.sql"
    if not re.match(r"^[a-z][a-z0-9-]*$", name):
        raise QueryError(f"{where}: `-- profile:` must name the profile in lower case")
    paths: dict[str, tuple[str, ...]] = {}
    kinds: dict[str, str] = {}
    for key, value in query.header:
        found = _FIELD_RE.match(key)
        if not key.startswith("field"):
            continue
        if not found:
            raise QueryError(f"{where}: bad field header {key!r}; use `-- field name (kind): path`")
        fname, kind = found.group(1), found.group(2) or KIND_MESSAGE
        if kind not in _KINDS:
            raise QueryError(f"{where}: field {fname}: kind must be one of {', '.join(_KINDS)}")
        candidates = [p.strip() for p in value.split("|") if p.strip()]
        paths[fname] = tuple(validate_path(fname, p) for p in candidates)
        kinds[fname] = kind
    if not paths:
        raise QueryError(f"{where}: a profile needs at least one `-- field` header")
    extras = tuple(x.strip() for x in header.get("extras", "").split(",") if x.strip())
    for extra in extras:
        if not _EXTRA_RE.match(extra):
            raise QueryError(f"{where}: extra column {extra!r} must be named x_...")
    body = "\n".join(line for line in query.sql.splitlines() if not line.startswith("--"))
    return Profile(
        name=name,
        description=query.description,
        paths=paths,
        kinds=kinds,
        detect=header.get("detect", "false"),
        body=body,
        full_rerun=header.get("rerun", "refine") == "full",
        registry=header.get("registry") or None,
        extras=extras,
        origin=where,
        notes=tuple(v for k, v in query.header if k == "note"),
    )


@cache
def all_profiles() -> tuple[Profile, ...]:
    """Every profile: lobehub first, then the profile files in name order."""
    found = [LOBEHUB_PROFILE]
    for path in sorted(queries.queries_dir().glob("profile-*.sql")):
        found.append(parse_profile(queries.get(path.stem)))
    return tuple(found)


def get_profile(name: str) -> Profile:
    """A profile by name; an unknown name is a usage error listing the known ones."""
    for profile in all_profiles():
        if profile.name == name:
            return profile
    names = ", ".join(p.name for p in all_profiles())
    raise UsageError(f"unknown profile {name!r}", hint=f"profiles: {names} (see errscope profiles)")


def describe_profiles() -> Report:
    """Every profile: how it is recognised, whether it re-runs in full, its fields and paths."""
    from errscope import __version__

    listed = []
    fields = []
    for profile in all_profiles():
        listed.append(
            {
                "profile": profile.name,
                "rerun": "full" if profile.full_rerun else "refine catch-alls",
                "registry": profile.registry or "default",
                "recognised_by": profile.detect,
                "defined_in": profile.origin,
                "description": profile.description,
            }
        )
        for name, paths in profile.paths.items():
            fields.append(
                {
                    "profile": profile.name,
                    "field": name,
                    "kind": profile.kinds.get(name, "canonical"),
                    "paths": " | ".join(paths),
                }
            )
    headline = [
        f"{len(listed)} input profiles; pass --profile NAME, or let errscope recognise the input "
        "(one profile must match its first rows)"
    ]
    meta = {"errscope_version": __version__, "profile_names": [p["profile"] for p in listed]}
    sections = [
        Section(
            "profiles",
            "Profiles",
            ["profile", "rerun", "registry", "recognised_by", "defined_in", "description"],
            listed,
        ),
        Section(
            "fields",
            "Fields read (first non-empty path wins)",
            ["profile", "field", "kind", "paths"],
            fields,
        ),
    ]
    return Report("profiles", meta, headline, sections)
