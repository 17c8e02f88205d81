"""Speed and memory of `errscope analyze` against DuckDB reading the file, and a correctness check.

    python benchmarks/perf.py --rows 1000000 --rows 10000000

For each size: generate a LobeHub-shaped Parquet dump with fixtures/generate.py (cached in
benchmarks/data/), then run, each in a fresh process, measuring wall time and peak RSS:
  baseline   DuckDB `SELECT message, count(*) ... GROUP BY message` over the file
  cold       errscope analyze with an empty cache folder (patterns compiled, every message matched)
  compiled   errscope analyze with only the compiled patterns cached (every message matched)
  new file   errscope analyze with every message's matches cached but the file never read
             before (load cache emptied): next week's export, overlapping this one row by row
  warm       errscope analyze again on the same file (matches and counted groups cached)
Then it checks errscope's per-code counts on a 20,000-row sample against a slow reference that
tries each pattern in order with RE2 (plain ordered first match). Exits 1 if they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "cli"))

BASELINE = """
import duckdb, sys
con = duckdb.connect()
con.execute("SELECT count(*) FROM (SELECT error->>'$.message' AS message, count(*) "
            "FROM read_parquet(?) GROUP BY message)", [sys.argv[1]]).fetchall()
"""


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return wall, usage.ru_maxrss / 1024


def dataset(rows: int, folder: Path) -> Path:
    path = folder / f"lobehub-{rows}.parquet"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(ROOT / "fixtures" / "generate.py"), "--rows", str(rows),
             "--seed", "2026", "--out", str(path)],
            check=True, stdout=subprocess.DEVNULL,
        )
    return path


def errscope(path: Path, cache: Path, registry: str) -> tuple[float, float]:
    env = {**os.environ, "ERRSCOPE_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT / "cli")}
    return run(
        [sys.executable, "-m", "errscope", "analyze", str(path), "--registry", registry,
         "--format", "json", "--out", os.devnull],
        env,
    )


def verify(path: Path, registry_name: str, sample_rows: int = 20_000) -> tuple[bool, int]:
    """errscope's per-code counts on a sample equal a slow ordered first-match reference."""
    import duckdb
    import re2

    from errscope.analysis import AnalyzeOptions, analyze
    from errscope.loader import connect, load
    from errscope.matcher import _OPTIONS, pattern_regex
    from errscope.refine import refine
    from errscope.registry import load_registry

    registry = load_registry(registry_name)
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "sample.parquet"
        duckdb.execute(
            f"COPY (SELECT * FROM read_parquet('{path}') USING SAMPLE {sample_rows} ROWS "
            f"(reservoir, 7)) TO '{sample}' (FORMAT parquet)"
        )
        report = analyze([str(sample)], registry, options=AnalyzeOptions(limit=100_000))
        got = {r["code"]: r["rows_rerun"] for r in _all_codes(report)}
        con = connect()
        load(con, [str(sample)])
        rows = con.execute("SELECT type, message, status, provider FROM rows").fetchall()
    regexes = [re2.compile(pattern_regex(p), _OPTIONS) for p in registry.patterns]
    expected: Counter[str] = Counter()
    for stored, message, status, provider in rows:
        matches = [i for i, rx in enumerate(regexes) if message and rx.search(message)]
        expected[refine(registry, matches, stored, message, status, provider).code] += 1
    return dict(expected) == got, len(rows)


def _all_codes(report: object) -> list[dict[str, object]]:
    return report.section("codes").rows  # type: ignore[attr-defined, no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--registry", default="default")
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]
    results = []
    ok = True
    for rows in sizes:
        path = dataset(rows, args.data_dir)
        base_s, base_mb = run([sys.executable, "-c", BASELINE, str(path)])
        cache = Path(tempfile.mkdtemp(prefix="errscope-bench-"))
        try:
            cold_s, cold_mb = errscope(path, cache, args.registry)
            shutil.rmtree(cache / "matches", ignore_errors=True)
            shutil.rmtree(cache / "groups", ignore_errors=True)
            comp_s, comp_mb = errscope(path, cache, args.registry)
            shutil.rmtree(cache / "groups", ignore_errors=True)
            new_s, new_mb = errscope(path, cache, args.registry)
            warm_s, warm_mb = errscope(path, cache, args.registry)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        same, checked = verify(path, args.registry)
        ok = ok and same
        results.append({
            "rows": rows, "baseline_s": base_s, "baseline_mb": base_mb,
            "cold_s": cold_s, "cold_mb": cold_mb, "compiled_s": comp_s, "compiled_mb": comp_mb,
            "new_file_s": new_s, "new_file_mb": new_mb, "warm_s": warm_s, "warm_mb": warm_mb,
            "verified_rows": checked, "verified": same,
        })
    print("| rows | baseline (DuckDB GROUP BY) | errscope cold | x | patterns compiled | x "
          "| new file, matches cached | x | warm, same file | x | reference check |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        base = r["baseline_s"]
        print(
            f"| {r['rows']:,} | {base:.2f} s, {r['baseline_mb']:.0f} MB "
            f"| {r['cold_s']:.2f} s, {r['cold_mb']:.0f} MB | {r['cold_s'] / base:.1f} "
            f"| {r['compiled_s']:.2f} s, {r['compiled_mb']:.0f} MB | {r['compiled_s'] / base:.1f} "
            f"| {r['new_file_s']:.2f} s, {r['new_file_mb']:.0f} MB | {r['new_file_s'] / base:.1f} "
            f"| {r['warm_s']:.2f} s, {r['warm_mb']:.0f} MB | {r['warm_s'] / base:.1f} "
            f"| {'same' if r['verified'] else 'DIFFERENT'} on {r['verified_rows']:,} rows |"
        )
    print(json.dumps(results), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
