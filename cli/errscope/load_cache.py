"""Counted groups of Parquet rows, cached on disk so unchanged files are not read twice.

Loading a Parquet part (a file, a range of a large file, or a few small files) ends in a small
table of counted groups. `<cache dir>/groups/<key>.parquet` keeps it, the key hashing the exact
SQL that computed it (mapping, filters, source rules, the codes whose messages are kept) and the
identity of every file it read: path, device, inode, size, modification and change times, and
the bytes of the Parquet footer. A rewritten file, another mapping or another registry's kept
codes give another key, never an old answer. Entries unused for a month are removed; the
folder is safe to delete at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import time
from pathlib import Path

import duckdb

from errscope import __version__

MAX_AGE_DAYS = 30
# A footer larger than this is not hashed, and the part is not cached (never seen in practice).
MAX_FOOTER_BYTES = 64 << 20


def enabled() -> bool:
    """The load cache follows the classification cache: off with --no-cache."""
    from errscope.match_cache import cache_enabled

    return cache_enabled()


def folder() -> Path:
    from errscope.matcher import cache_dir

    return cache_dir() / "groups"


def part_key(statement: str, paths: list[str]) -> str | None:
    """The cache key of a part: its SQL and its files' identities; None when uncacheable."""
    digest = hashlib.sha256()
    for piece in (__version__, duckdb.__version__, statement):
        digest.update(piece.encode("utf-8") + b"\x00")
    for path in paths:
        identity = _identity(path)
        if identity is None:
            return None
        digest.update(identity)
    return digest.hexdigest()[:32]


def _identity(path: str) -> bytes | None:
    """What makes a file the same file: where it is, its stat times and size, its footer."""
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            if info.st_size < 12:
                return None
            stream.seek(info.st_size - 8)
            tail = stream.read(8)
            (length,) = struct.unpack("<I", tail[:4])
            if tail[4:] != b"PAR1" or length + 8 > info.st_size or length > MAX_FOOTER_BYTES:
                return None
            stream.seek(info.st_size - 8 - length)
            footer = stream.read(length)
    except OSError:
        return None
    stat = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    named = os.path.abspath(path).encode("utf-8", "surrogateescape")
    return named + b"\x00" + repr(stat).encode() + hashlib.sha256(footer).digest()


def lookup(key: str) -> Path | None:
    """The cached groups of this key, marked as used; None when absent."""
    path = folder() / f"{key}.parquet"
    try:
        os.utime(path)
    except OSError:
        return None
    return path


def store(con: duckdb.DuckDBPyConnection, table: str, key: str) -> None:
    """Write `table` as the entry of `key`, whole or not at all; a read-only folder is fine."""
    target = folder() / f"{key}.parquet"
    temp = target.with_name(f".{key}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _prune(target.parent)
        quoted = str(temp).replace("'", "''")
        con.execute(f"COPY {table} TO '{quoted}' (FORMAT parquet, COMPRESSION snappy)")
        os.replace(temp, target)
    except (OSError, duckdb.Error):
        with contextlib.suppress(OSError):
            temp.unlink()


def forget(path: Path) -> None:
    """Remove an entry that could not be read back."""
    with contextlib.suppress(OSError):
        path.unlink()


def _prune(where: Path) -> None:
    limit = time.time() - MAX_AGE_DAYS * 86400
    for old in where.glob("*.parquet"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < limit:
                old.unlink()
