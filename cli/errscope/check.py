"""The CI gate: a golden corpus every case of which must still pass, and a dump against a baseline.

A baseline records the re-run fallback share, rows per code, the top residual templates and the
registry itself; `check` re-runs both the baseline's registry and the current one on the same
rows, so a code's loss to a fallback code is counted row by row, not guessed from totals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb

from errscope import __version__, queries
from errscope.classify import Case, read_cases
from errscope.errors import InputError, UsageError
from errscope.loader import LoadOptions, Progress, connect, load
from errscope.match_cache import prepare
from errscope.refine import Refiner
from errscope.registry import Registry, parse_registry

BASELINE_FORMAT = 1
RESIDUALS_KEPT = 200


@dataclass(frozen=True)
class Limits:
    """Gate thresholds: points the fallback share may rise, a code's loss, an absolute cap."""

    tolerance_points: Fraction = Fraction(1, 2)
    max_code_loss: Fraction = Fraction(1, 20)
    max_fallback_share: Fraction | None = None


@dataclass(frozen=True)
class Problem:
    """One reason the gate fails (or, with `failing=False`, something worth a look)."""

    kind: str
    title: str
    detail: str
    location: str = ""
    failing: bool = True


@dataclass
class CheckResult:
    """Everything `check` found; `passed` is false when any failing problem exists."""

    registry: dict[str, str]
    headline: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    corpus: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return not any(p.failing for p in self.problems)


def fraction(
    text: str, option: str, *, percent_points: bool = False, share: bool = False
) -> Fraction:
    """Parse a threshold exactly (no float rounding at the edges). A `share` is at most 1
    (100%): `--max-code-loss 5` is refused rather than read as "500% may move"."""
    try:
        value = Fraction(text.strip().rstrip("%"))
    except (ValueError, ZeroDivisionError) as exc:
        raise UsageError(f"{option} {text!r} is not a number") from exc
    if text.strip().endswith("%") and not percent_points:
        value /= 100
    if value < 0:
        raise UsageError(f"{option} must not be negative")
    if share and value > 1:
        raise UsageError(
            f"{option} {text.strip()} is more than 100%",
            hint=f"give a share: {option} 0.05 or {option} 5%",
        )
    return value


def points(value: Fraction) -> str:
    return f"{float(value):+.2f} pp"


def pct(value: Fraction) -> str:
    return f"{float(value * 100):.2f}%"


# ---------------------------------------------------------------------------------------------
# Baselines


def make_baseline(
    specs: Sequence[str],
    registry: Registry,
    load_options: LoadOptions | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The baseline document for a dump under a registry (deterministic for the same input)."""
    from errscope.rerun import message_keys, rerun

    con = connect()
    try:
        prepare(registry)
        loaded = load(
            con, specs, load_options, progress=progress, keep_message_for=message_keys(registry)
        )
        if loaded.rows_analysed == 0:
            raise InputError("the dump has no rows to analyse", hint="a baseline needs rows")
        rerun(con, registry, progress=progress)
        codes = {r["code"]: int(r["rows"]) for r in queries.records(con, "check-code-rows")}
        fallback = int(
            con.execute("SELECT count(*) FROM classified WHERE new_fallback").fetchall()[0][0]  # type: ignore[index]
        )
        residuals = _residual_templates(con, "")
    finally:
        con.close()
    rows = loaded.rows_analysed
    return {
        "errscope_baseline": BASELINE_FORMAT,
        "errscope_version": __version__,
        "registry": registry.stamp(),
        "rows": rows,
        "fallback_rows": fallback,
        "fallback_share": round(fallback / rows, 6),
        "codes": dict(sorted(codes.items())),
        "residuals": residuals,
        "registry_toml": registry.text,
    }


def _residual_templates(con: duckdb.DuckDBPyConnection, prefix: str) -> list[dict[str, Any]]:
    """Messages still in a fallback code, masked into templates, most rows first."""
    from errscope.masking import mask

    counts: dict[str, int] = {}
    sql = queries.get("residual-messages").sql.replace("{prefix}", prefix)
    for message, n in con.execute(sql).fetchall():
        key = mask(message)
        counts[key] = counts.get(key, 0) + int(n)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:RESIDUALS_KEPT]
    return [{"template": t, "rows": n} for t, n in ordered]


def read_baseline(path: str) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise InputError(
            f"baseline not found: {path}", hint="create it with errscope baseline"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read baseline {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("errscope_baseline") != BASELINE_FORMAT:
        raise InputError(
            f"{path} is not an errscope baseline (format {BASELINE_FORMAT})",
            hint="create it with errscope baseline DUMP -o FILE",
        )
    for key in ("rows", "fallback_rows", "codes", "registry", "residuals"):
        if key not in doc:
            raise InputError(f"{path}: baseline lacks {key!r}")
    return doc


# ---------------------------------------------------------------------------------------------
# The check


def check(
    registry: Registry,
    corpus_paths: Sequence[str] = (),
    specs: Sequence[str] = (),
    baseline_path: str | None = None,
    limits: Limits | None = None,
    load_options: LoadOptions | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Run the golden corpus and/or the dump gates; raise on unusable input, never pass empty."""
    limits = limits or Limits()
    if not corpus_paths and not specs:
        raise UsageError(
            "nothing to check", hint="give --corpus FILE and/or a DUMP with --baseline FILE"
        )
    if baseline_path and not specs:
        raise UsageError(
            "--baseline needs a DUMP to compare", hint="errscope check DUMP --baseline F"
        )
    if specs and not baseline_path and limits.max_fallback_share is None:
        raise UsageError(
            "a DUMP needs --baseline FILE or --max-fallback-share to be checked against"
        )
    result = CheckResult(registry=registry.stamp())
    result.headline.append(f"registry {registry.name} {registry.version} ({registry.short_hash})")
    if corpus_paths:
        _check_corpus(result, registry, corpus_paths)
    if specs:
        _check_dump(result, registry, specs, baseline_path, limits, load_options, progress)
    failing = sum(p.failing for p in result.problems)
    result.headline.append(
        "PASS: every check passed" if result.passed else f"FAIL: {failing} problem(s)"
    )
    return result


def _check_corpus(result: CheckResult, registry: Registry, paths: Sequence[str]) -> None:
    cases: list[Case] = []
    for path in paths:
        cases.extend(read_cases(path))
    if not cases:
        raise InputError(
            f"the golden corpus is empty ({', '.join(paths)})",
            hint="an empty corpus proves nothing; add cases",
        )
    missing = [c.location for c in cases if c.expected is None]
    if missing:
        raise InputError(
            f'golden case without "expected" at {missing[0]}',
            hint='every line needs {"message": ..., "expected": "CodeName"}',
        )
    refiner = Refiner(registry)
    failures = []
    for case in cases:
        decision = refiner.decide(case.stored_type, case.message, case.status, case.provider)
        if decision.code != registry.resolve(case.expected or ""):
            failures.append(
                {
                    "location": case.location,
                    "message": case.message,
                    "expected": case.expected,
                    "got": decision.code,
                    "decided_by": decision.explain(),
                }
            )
            result.problems.append(
                Problem(
                    "golden-case",
                    f"expected {case.expected}, got {decision.code}",
                    f"{_one_line(case.message)} (decided by {decision.explain()})",
                    location=case.location,
                )
            )
    result.corpus = {
        "cases": len(cases),
        "passed": len(cases) - len(failures),
        "failures": failures,
    }
    result.headline.append(f"golden corpus: {len(cases) - len(failures)}/{len(cases)} cases pass")


def _check_dump(
    result: CheckResult,
    registry: Registry,
    specs: Sequence[str],
    baseline_path: str | None,
    limits: Limits,
    load_options: LoadOptions | None,
    progress: Progress | None,
) -> None:
    from errscope.diff import _pairs, diff_keys

    baseline = read_baseline(baseline_path) if baseline_path else None
    old = (
        parse_registry(baseline["registry_toml"], origin=f"{baseline_path} (embedded registry)")
        if baseline and baseline.get("registry_toml")
        else None
    )
    con = connect()
    try:
        keep = diff_keys(registry, old, False)
        prepare(registry)
        loaded = load(con, specs, load_options, progress=progress, keep_message_for=keep)
        if loaded.rows_analysed == 0:
            raise InputError("the dump has no rows to analyse", hint="an empty dump proves nothing")
        _pairs(con, registry, old, False, progress)
        totals = queries.records(con, "diff-totals")[0]
        rows = int(totals["rows"])
        current = Fraction(int(totals["fallback_after"]), rows)
        info: dict[str, Any] = {"rows": rows, "current_share": float(round(current, 6))}
        if baseline is not None:
            if old is not None:
                base = Fraction(int(totals["fallback_before"]), rows)
                basis = "the baseline's registry re-run on this dump"
            else:
                base = Fraction(int(baseline["fallback_rows"]), int(baseline["rows"]))
                basis = "the share recorded in the baseline"
            change = (current - base) * 100
            info.update(
                baseline_share=float(round(base, 6)),
                recorded_share=baseline.get("fallback_share"),
                change_points=float(round(change, 4)),
                allowed_points=float(limits.tolerance_points),
                basis=basis,
                baseline_registry=baseline["registry"],
            )
            result.headline.append(
                f"fallback share: baseline {pct(base)} -> current {pct(current)} -> change "
                f"{points(change)} -> allowed {points(limits.tolerance_points)} ({basis})"
            )
            if change > limits.tolerance_points:
                result.problems.append(
                    Problem(
                        "fallback-share",
                        "fallback share rose",
                        f"{pct(base)} -> {pct(current)} ({points(change)}, allowed "
                        f"{points(limits.tolerance_points)})",
                    )
                )
            if old is not None:
                losses = _code_losses(con, limits)
                info["code_losses"] = losses
                for loss in losses:
                    if loss["failing"]:
                        result.problems.append(
                            Problem(
                                "code-loss",
                                f"{loss['code']} lost rows to fallback codes",
                                f"{loss['rows_lost']} of {loss['rows_before']} rows "
                                f"({loss['share_lost']:.2%}, allowed "
                                f"{float(limits.max_code_loss):.2%}) now land in "
                                f"{', '.join(loss['to'])}",
                            )
                        )
            new = _new_residuals(con, baseline)
            info["new_residuals"] = new
            for item in new[:10]:
                result.problems.append(
                    Problem(
                        "new-residual",
                        "residual new since the baseline",
                        f"{item['rows']} rows: {_one_line(item['template'])}",
                        failing=False,
                    )
                )
        else:
            result.headline.append(f"fallback share: current {pct(current)}")
        if limits.max_fallback_share is not None:
            info["max_fallback_share"] = float(limits.max_fallback_share)
            result.headline.append(
                f"fallback share cap: {pct(current)} of at most {pct(limits.max_fallback_share)}"
            )
            if current > limits.max_fallback_share:
                result.problems.append(
                    Problem(
                        "max-fallback-share",
                        "fallback share above the cap",
                        f"{pct(current)} > {pct(limits.max_fallback_share)}",
                    )
                )
        result.baseline = info
    finally:
        con.close()


def _code_losses(con: duckdb.DuckDBPyConnection, limits: Limits) -> list[dict[str, Any]]:
    losses = []
    for row in queries.records(con, "check-code-losses"):
        before, lost = int(row["rows_before"]), int(row["rows_lost"])
        share = Fraction(lost, before)
        losses.append(
            {
                "code": row["code"],
                "rows_before": before,
                "rows_lost": lost,
                "share_lost": float(round(share, 6)),
                "to": list(row["to_codes"]),
                "failing": share > limits.max_code_loss,
            }
        )
    return losses


def _new_residuals(
    con: duckdb.DuckDBPyConnection, baseline: dict[str, Any]
) -> list[dict[str, Any]]:
    known = {r["template"] for r in baseline["residuals"]}
    current = _residual_templates(con, "after_")
    return [r for r in current if r["template"] not in known][:50]


def _one_line(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
