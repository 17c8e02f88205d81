"""Finding input files (paths, globs, folders) and telling their format from their first bytes."""

from __future__ import annotations

import glob
import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path

from errscope.errors import InputError

JSONL = "jsonl"
JSON_ARRAY = "json-array"
PARQUET = "parquet"
POSTGRES = "postgres"  # a table read over a postgresql:// URL (errscope.postgres)

_DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".parquet", ".gz", ".jsonl.gz", ".ndjson.gz")
_SNIFF_BYTES = 4096


@dataclass(frozen=True)
class InputFile:
    """One file to read: where it is, its format and whether it is gzip-compressed.

    For a database, `path` is the URL without its password and `url` the URL as given.
    """

    path: str
    format: str
    gzipped: bool
    url: str | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def discover(specs: list[str]) -> list[InputFile]:
    """Expand paths, globs and folders (recursively, hive layouts too) into sniffed input files;
    a postgresql:// URL stays one input (read by errscope.postgres).

    Order is deterministic: each argument in turn, files sorted by path within it.
    """
    if not specs:
        raise InputError("no input given", hint="pass one or more files, globs or folders")
    seen: set[str] = set()
    files: list[InputFile] = []
    for spec in specs:
        if spec.startswith(("postgres://", "postgresql://")):
            from errscope.postgres import database_input

            if spec not in seen:
                seen.add(spec)
                files.append(database_input(spec))
            continue
        for path in _expand(spec):
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            files.append(sniff(path))
    return files


def _expand(spec: str) -> list[str]:
    if glob.has_magic(spec):
        matched = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
        if not matched:
            raise InputError(f"no file matches {spec}", hint="check the glob and quote it")
        return matched
    path = Path(spec)
    if path.is_dir():
        found = sorted(
            str(p)
            for p in path.rglob("*")
            if p.is_file() and not p.name.startswith((".", "_")) and _looks_like_data(p.name)
        )
        if not found:
            raise InputError(
                f"folder {spec} holds no .jsonl, .ndjson, .json, .parquet or .gz files",
                hint="point at the export folder or name the files",
            )
        return found
    if not path.exists():
        raise InputError(f"no such file: {spec}", hint="check the path")
    if not path.is_file():
        raise InputError(f"not a regular file: {spec}")
    return [spec]


def _looks_like_data(name: str) -> bool:
    return name.lower().endswith(_DATA_SUFFIXES)


def sniff(path: str) -> InputFile:
    """Tell the format from content: Parquet magic, gzip magic, then the first JSON character."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head[:4] == b"PAR1":
        return InputFile(path, PARQUET, gzipped=False)
    gzipped = head[:2] == b"\x1f\x8b"
    if gzipped:
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raise InputError(
                f"{path}: gzip data is corrupt or truncated ({exc})",
                hint="re-download or re-compress the file",
            ) from exc
    first = _first_significant_byte(head)
    if first is None:
        return InputFile(path, JSONL, gzipped)  # empty: reads as zero rows
    if first == ord("["):
        return InputFile(path, JSON_ARRAY, gzipped)
    if first == ord("{"):
        return InputFile(path, JSONL, gzipped)
    raise InputError(
        f"{path}: not JSON Lines, a JSON array or Parquet (starts with {head[:16]!r})",
        hint="errscope reads .jsonl/.ndjson/.json (optionally gzipped) and .parquet exports",
    )


def _first_significant_byte(head: bytes) -> int | None:
    stripped = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    return stripped[0] if stripped else None
