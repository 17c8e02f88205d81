"""Score a registry's patterns on the labelled corpora in fixtures/corpus/*.jsonl.

Each corpus line is {"message", "status", "provider", "stored_type", "expected", "source",
"note"}. Every case is decided with `Refiner.decide(stored_type, message, status, provider)`,
exactly as `errscope` re-runs stored rows, and compared with `expected`.

Reported per corpus file and over all files:
- exact-code accuracy: the decided code equals the expected code (aliases resolved);
- family accuracy: the decided code's family equals the expected code's family (FAMILIES);
- fallback share: among cases whose expected code is not a fallback, the share still decided
  as a fallback (FALLBACK_CODES), i.e. classifiable rows the registry leaves in a catch-all;
- a per-family table and every misclassified case;
- label conflicts: the same message (whitespace-normalised) from the same provider labelled
  with codes of different families in different cases, with the code the registry decides.
  No registry can satisfy both labels, so they are listed apart for a human to settle; they do
  not change the exit status.

Families (a code's family is what a reader of a report cares about; near-synonyms share one):
  auth-key         InvalidProviderAPIKey, InvalidGithubToken, InvalidGithubCopilotToken,
                   InvalidBedrockCredentials, InvalidVertexCredentials
  permission       PermissionDenied
  region           LocationNotSupportError
  account          AccountDeactivated
  quota            InsufficientQuota, InsufficientBudgetForModel
  plan-cap         FreePlanLimit, SubscriptionPlanLimit
  rate-limit       RateLimitExceeded (and its alias QuotaLimitReached)
  overloaded       ProviderServiceUnavailable
  no-channel       NoAvailableChannel
  local-runtime    OllamaServiceUnavailable, OllamaBizError, InvalidOllamaArgs, ComfyUI*
  network          ProviderNetworkError, RemoteMediaDownloadTimeout
  gateway          UpstreamGatewayError
  malformed        UpstreamMalformedResponse, HarnessJsonParseError
  model-not-found  ModelNotFound, LobeHubModelDeprecated
  context-window   ExceededContextWindow
  request-too-large RequestBodyTooLarge
  request-limit    ExceededToolLimit, ExceededImageLimit
  capability       CapabilityNotSupported
  request-format   InvalidRequestFormat
  content-policy   ProviderContentPolicyViolation, ContentModeration
  model-output     ModelEmptyCompletion, ModelRefusal, ProviderNoImageGenerated
  config           UserConfigError, NoAvailableProvider, ConnectionCheckFailed
  database         DatabasePersistError, ConversationParentMissing
  harness          StreamChunkError, OperationInactivityTimeout, StateStorePersistError,
                   StateStoreReadError, ContextEnginePipelineError
  residual         AgentRuntimeError, ProviderBizError, UpstreamHttpError, "500"
A code missing from the table is its own family.

Usage:
    PYTHONPATH=cli python benchmarks/corpus_accuracy.py [--registry PATH] [--corpus DIR]
        [--file NAME ...] [--quiet]
Exit status: 0 when every file and the total meet the bar (family accuracy >= 0.90 and
fallback share <= 0.05), 1 when one does not, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "cli"))

from errscope.corpus import (  # noqa: E402
    FALLBACK_CODES,
    FALLBACK_SHARE_BAR,
    FAMILY_ACCURACY_BAR,
)
from errscope.corpus import family as family_of  # noqa: E402
from errscope.refine import Refiner  # noqa: E402
from errscope.registry import Registry, load_registry  # noqa: E402


@dataclass(frozen=True)
class Case:
    """One labelled corpus line."""

    file: str
    line: int
    message: str
    status: int | None
    provider: str | None
    stored_type: str
    expected: str
    source: str = ""


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: str
    expected: str
    step: str

    @property
    def exact(self) -> bool:
        return self.got == self.expected

    @property
    def family_ok(self) -> bool:
        return family_of(self.got) == family_of(self.expected)


@dataclass
class Score:
    """Accuracy figures over a set of outcomes."""

    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def exact_accuracy(self) -> float:
        return _share(sum(o.exact for o in self.outcomes), self.total)

    @property
    def family_accuracy(self) -> float:
        return _share(sum(o.family_ok for o in self.outcomes), self.total)

    @property
    def classifiable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.expected not in FALLBACK_CODES]

    @property
    def fallback_share(self) -> float:
        rows = self.classifiable
        return _share(sum(o.got in FALLBACK_CODES for o in rows), len(rows))

    def passes(self) -> bool:
        return (
            self.family_accuracy >= FAMILY_ACCURACY_BAR
            and self.fallback_share <= FALLBACK_SHARE_BAR
        )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def load_cases(path: Path) -> list[Case]:
    """Read one corpus file; a line that is not a labelled case raises ValueError."""
    cases = []
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            status = row.get("status")
            cases.append(
                Case(
                    file=path.name,
                    line=number,
                    message=str(row["message"]),
                    status=int(status) if status not in (None, "") else None,
                    provider=row.get("provider") or None,
                    stored_type=str(row.get("stored_type") or "ProviderBizError"),
                    expected=str(row["expected"]),
                    source=str(row.get("source") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name}:{number}: not a labelled case: {exc}") from exc
    return cases


def score_cases(registry: Registry, cases: list[Case], name: str = "all") -> Score:
    """Decide every case with the registry and collect the outcomes."""
    refiner = Refiner(registry)
    score = Score(name)
    for case in cases:
        decision = refiner.decide(case.stored_type, case.message, case.status, case.provider)
        score.outcomes.append(
            Outcome(case, decision.code, registry.resolve(case.expected), decision.explain())
        )
    return score


def label_conflicts(cases: list[Case]) -> list[list[Case]]:
    """Groups of cases with the same message (whitespace aside) and provider whose expected
    codes belong to different families."""
    groups: dict[tuple[str, str | None], list[Case]] = {}
    for case in cases:
        groups.setdefault((" ".join(case.message.split()), case.provider), []).append(case)
    return [rows for rows in groups.values() if len({family_of(row.expected) for row in rows}) > 1]


def _pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def render(scores: list[Score], total: Score, *, quiet: bool = False) -> str:
    lines = [
        f"{'corpus':<28} {'cases':>5} {'exact':>7} {'family':>7} {'fallback':>8}  bar",
    ]
    for score in [*scores, total]:
        lines.append(
            f"{score.name:<28} {score.total:>5} {_pct(score.exact_accuracy):>7} "
            f"{_pct(score.family_accuracy):>7} {_pct(score.fallback_share):>8}  "
            f"{'ok' if score.passes() else 'FAIL'}"
        )
    lines += ["", f"{'family (expected)':<20} {'cases':>5} {'family ok':>9} {'exact':>7}"]
    by_family: dict[str, list[Outcome]] = {}
    for outcome in total.outcomes:
        by_family.setdefault(family_of(outcome.expected), []).append(outcome)
    for family in sorted(by_family):
        rows = by_family[family]
        lines.append(
            f"{family:<20} {len(rows):>5} "
            f"{_pct(_share(sum(o.family_ok for o in rows), len(rows))):>9} "
            f"{_pct(_share(sum(o.exact for o in rows), len(rows))):>7}"
        )
    if not quiet:
        misses = [o for o in total.outcomes if not o.exact]
        lines += ["", f"misclassified ({len(misses)}; * = wrong family)"]
        for o in misses:
            flag = "*" if not o.family_ok else " "
            text = " ".join(o.case.message.split())[:160]
            step = o.step if len(o.step) <= 70 else o.step[:67] + "..."
            lines.append(
                f"{flag} {o.case.file}:{o.case.line} expected {o.expected} got {o.got} "
                f"[{step}] status={o.case.status} provider={o.case.provider}\n    {text}"
            )
    conflicts = label_conflicts([o.case for o in total.outcomes])
    if conflicts:
        decided = {o.case: o.got for o in total.outcomes}
        lines += ["", f"label conflicts ({len(conflicts)}; same message, different families)"]
        for group in conflicts:
            text = " ".join(group[0].message.split())[:120]
            where = ", ".join(f"{case.file}:{case.line}={case.expected}" for case in group)
            lines.append(f"  {where}; registry: {decided[group[0]]}\n    {text}")
    confusions = Counter(
        (family_of(o.expected), family_of(o.got)) for o in total.outcomes if not o.family_ok
    )
    if confusions:
        lines += ["", "family confusions (expected -> got: cases)"]
        lines += [f"  {e} -> {g}: {n}" for (e, g), n in confusions.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", default=None, help="registry TOML (default: built-in)")
    parser.add_argument("--corpus", default=str(ROOT / "fixtures" / "corpus"))
    parser.add_argument("--file", action="append", default=[], help="only this corpus file")
    parser.add_argument("--quiet", action="store_true", help="no list of misclassified cases")
    args = parser.parse_args(argv)

    registry = load_registry(args.registry)
    files = sorted(Path(args.corpus).glob("*.jsonl"))
    if args.file:
        files = [f for f in files if f.name in set(args.file)]
    if not files:
        print(f"corpus_accuracy: no corpus files in {args.corpus}", file=sys.stderr)
        return 2
    scores, everything = [], []
    try:
        for path in files:
            cases = load_cases(path)
            everything += cases
            scores.append(score_cases(registry, cases, path.name))
    except ValueError as exc:
        print(f"corpus_accuracy: {exc}", file=sys.stderr)
        return 2
    total = score_cases(registry, everything, "TOTAL")
    print(
        f"registry {registry.name} {registry.version} ({len(registry.patterns)} patterns, "
        f"{registry.short_hash})"
    )
    print(render(scores, total, quiet=args.quiet))
    return 0 if all(s.passes() for s in [*scores, total]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
