"""Scoring a registry on labelled corpora: does each message land in the right family?

A corpus file is JSON Lines of {"message", "status", "provider", "stored_type", "expected",
...}. Codes that answer the same question for a reader share a family (FAMILY); family accuracy
and the share of classifiable messages left in a catch-all are the two figures the default
registry is held to (tests/test_default_registry.py, benchmarks/corpus_accuracy.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from errscope.refine import Refiner
from errscope.registry import Registry

FAMILY_ACCURACY_BAR = 0.90
FALLBACK_SHARE_BAR = 0.05

FALLBACK_CODES = frozenset({"AgentRuntimeError", "ProviderBizError", "UpstreamHttpError", "500"})

FAMILY_MEMBERS: dict[str, tuple[str, ...]] = {
    "auth-key": (
        "InvalidProviderAPIKey",
        "InvalidGithubToken",
        "InvalidGithubCopilotToken",
        "InvalidBedrockCredentials",
        "InvalidVertexCredentials",
    ),
    "permission": ("PermissionDenied",),
    "region": ("LocationNotSupportError",),
    "account": ("AccountDeactivated",),
    "quota": ("InsufficientQuota", "InsufficientBudgetForModel"),
    "plan-cap": ("FreePlanLimit", "SubscriptionPlanLimit"),
    "rate-limit": ("RateLimitExceeded", "QuotaLimitReached"),
    "overloaded": ("ProviderServiceUnavailable",),
    "no-channel": ("NoAvailableChannel",),
    "local-runtime": (
        "OllamaServiceUnavailable",
        "OllamaBizError",
        "InvalidOllamaArgs",
        "ComfyUIServiceUnavailable",
        "ComfyUIBizError",
        "ComfyUIEmptyResult",
        "ComfyUIUploadFailed",
        "ComfyUIWorkflowError",
        "ComfyUIModelError",
        "InvalidComfyUIArgs",
    ),
    "network": ("ProviderNetworkError", "RemoteMediaDownloadTimeout"),
    "gateway": ("UpstreamGatewayError",),
    "malformed": ("UpstreamMalformedResponse", "HarnessJsonParseError"),
    "model-not-found": ("ModelNotFound", "LobeHubModelDeprecated"),
    "context-window": ("ExceededContextWindow",),
    "request-too-large": ("RequestBodyTooLarge",),
    "request-limit": ("ExceededToolLimit", "ExceededImageLimit"),
    "capability": ("CapabilityNotSupported",),
    "request-format": ("InvalidRequestFormat",),
    "content-policy": ("ProviderContentPolicyViolation", "ContentModeration"),
    "model-output": ("ModelEmptyCompletion", "ModelRefusal", "ProviderNoImageGenerated"),
    "config": ("UserConfigError", "NoAvailableProvider", "ConnectionCheckFailed"),
    "database": ("DatabasePersistError", "ConversationParentMissing"),
    "harness": (
        "StreamChunkError",
        "OperationInactivityTimeout",
        "StateStorePersistError",
        "StateStoreReadError",
        "ContextEnginePipelineError",
    ),
    "residual": ("AgentRuntimeError", "ProviderBizError", "UpstreamHttpError", "500"),
}
FAMILY: dict[str, str] = {
    code: family for family, codes in FAMILY_MEMBERS.items() for code in codes
}



def family(code: str) -> str:
    """A code's family; codes outside the table are their own family."""
    return FAMILY.get(code, code)


@dataclass(frozen=True)
class CorpusScore:
    """Family accuracy and fallback share of one corpus file, with the misses."""

    cases: int
    family_accuracy: float
    fallback_share: float
    misses: tuple[str, ...]


def score_file(registry: Registry, path: Path) -> CorpusScore:
    """Decide every case of a corpus file as `errscope` re-runs stored rows, and score it."""
    refiner = Refiner(registry)
    total = family_ok = classifiable = in_fallback = 0
    misses = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        case = json.loads(line)
        status = case.get("status")
        decision = refiner.decide(
            case.get("stored_type") or "ProviderBizError",
            case["message"],
            int(status) if status is not None else None,
            case.get("provider"),
        )
        expected = registry.resolve(case["expected"])
        total += 1
        if family(decision.code) == family(expected):
            family_ok += 1
        else:
            misses.append(f"{path.name}:{number} expected {expected}, got {decision.code}")
        if expected not in FALLBACK_CODES:
            classifiable += 1
            in_fallback += decision.code in FALLBACK_CODES
    return CorpusScore(
        cases=total,
        family_accuracy=family_ok / total if total else 1.0,
        fallback_share=in_fallback / classifiable if classifiable else 0.0,
        misses=tuple(misses),
    )
