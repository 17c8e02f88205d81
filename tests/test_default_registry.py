"""The default registry's patterns: they load, and they meet the accuracy bar on the corpora.

The corpora in fixtures/corpus/*.jsonl are labelled real provider messages (one case per line:
message, status, provider, stored_type, expected, source, note). The bar, per file: at least 90%
of cases land in the expected code's family, and at most 5% of the cases whose expected code is
not a catch-all stay in a catch-all. The scoring lives here on purpose, apart from
benchmarks/corpus_accuracy.py, so the gate does not depend on the benchmark script.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from errscope.matcher import check_pattern
from errscope.refine import Refiner
from errscope.registry import Registry, load_registry

CORPUS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
CORPUS_FILES = sorted(CORPUS_DIR.glob("*.jsonl"))

FAMILY_BAR = 0.90
FALLBACK_BAR = 0.05
FALLBACK_CODES = frozenset({"AgentRuntimeError", "ProviderBizError", "UpstreamHttpError", "500"})

# Codes that answer the same question for a reader share a family; see the benchmark docstring.
_FAMILIES: dict[str, tuple[str, ...]] = {
    "auth-key": (
        "InvalidProviderAPIKey",
        "InvalidGithubToken",
        "InvalidGithubCopilotToken",
        "InvalidBedrockCredentials",
        "InvalidVertexCredentials",
    ),
    "quota": ("InsufficientQuota", "InsufficientBudgetForModel"),
    "plan-cap": ("FreePlanLimit", "SubscriptionPlanLimit"),
    "rate-limit": ("RateLimitExceeded", "QuotaLimitReached"),
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
    "malformed": ("UpstreamMalformedResponse", "HarnessJsonParseError"),
    "model-not-found": ("ModelNotFound", "LobeHubModelDeprecated"),
    "request-limit": ("ExceededToolLimit", "ExceededImageLimit"),
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
    "residual": tuple(FALLBACK_CODES),
}
FAMILY = {code: family for family, codes in _FAMILIES.items() for code in codes}


def family(code: str) -> str:
    """A code's family; codes outside the table are their own family."""
    return FAMILY.get(code, code)


@dataclass(frozen=True)
class CorpusScore:
    cases: int
    family_accuracy: float
    fallback_share: float
    misses: tuple[str, ...]


def score_corpus(registry: Registry, path: Path) -> CorpusScore:
    """Decide every case of a corpus file and measure family accuracy and fallback share."""
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


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="module")
def refiner(registry: Registry) -> Refiner:
    return Refiner(registry)


# --- the registry itself ---------------------------------------------------------------------


def test_default_registry_loads_with_patterns(registry: Registry) -> None:
    assert registry.name == "lobehub-default"
    assert len(registry.patterns) >= 60


def test_every_pattern_compiles_names_a_code_and_has_a_note(registry: Registry) -> None:
    for pattern in registry.patterns:
        assert check_pattern(pattern) is None, pattern.label()
        assert pattern.code in registry.codes, pattern.label()
        assert len(pattern.note.strip()) >= 10, f"{pattern.label()} needs a note"


def test_scoped_patterns_use_lowercase_provider_ids(registry: Registry) -> None:
    for pattern in registry.patterns:
        for provider in pattern.providers or ():
            assert provider == provider.lower(), pattern.label()


def test_family_table_covers_every_registry_code(registry: Registry) -> None:
    # Codes absent from the table are their own family; that is fine, but the table must not
    # name codes the registry does not know (a typo would silently split a family).
    known = set(registry.codes) | set(registry.aliases) | {"500"}
    assert set(FAMILY) <= known


# --- the accuracy bar on every corpus file ---------------------------------------------------


def test_corpus_files_exist() -> None:
    assert CORPUS_FILES, f"no labelled corpus in {CORPUS_DIR}"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_meets_the_bar(registry: Registry, path: Path) -> None:
    score = score_corpus(registry, path)
    assert score.cases > 0
    shown = "\n".join(score.misses[:40])
    assert score.family_accuracy >= FAMILY_BAR, (
        f"{path.name}: family accuracy {score.family_accuracy:.3f} < {FAMILY_BAR}\n{shown}"
    )
    assert score.fallback_share <= FALLBACK_BAR, (
        f"{path.name}: {score.fallback_share:.3f} of classifiable cases stay in a fallback"
    )


# --- order-sensitive cases -------------------------------------------------------------------


def code(refiner: Refiner, message: str, status: int | None = None,
         provider: str | None = None, stored: str = "ProviderBizError") -> str:
    return refiner.decide(stored, message, status, provider).code


def test_429_insufficient_quota_is_quota_not_rate_limit(refiner: Refiner) -> None:
    message = (
        "Error code: 429 - {'error': {'message': 'You exceeded your current quota, please check "
        "your plan and billing details.', 'type': 'insufficient_quota', 'param': None, "
        "'code': 'insufficient_quota'}}"
    )
    assert code(refiner, message, 429, "openai") == "InsufficientQuota"
    litellm = "litellm.RateLimitError: RateLimitError: OpenAIException - " + message
    assert code(refiner, litellm, 429, "openai") == "InsufficientQuota"


def test_anthropic_credit_balance_400_is_quota(refiner: Refiner) -> None:
    message = (
        '400 {"type":"error","error":{"type":"invalid_request_error","message":"Your credit '
        'balance is too low to access the Anthropic API. Please go to Plans & Billing to '
        'upgrade or purchase credits."}}'
    )
    assert code(refiner, message, 400, "anthropic") == "InsufficientQuota"


def test_database_error_wins_over_provider_words_in_sql_params(refiner: Refiner) -> None:
    message = (
        'Failed query: insert into "messages" ("id", "error") values ($1, $2)\n'
        "params: msg_1,Rate limit reached for gpt-4o; insufficient_quota; 504 Gateway Time-out"
    )
    assert code(refiner, message, stored="AgentRuntimeError") == "DatabasePersistError"
    pg = 'duplicate key value violates unique constraint "x_pkey" (rate limit exceeded)'
    assert code(refiner, pg, stored="500") == "DatabasePersistError"


def test_504_html_page_is_a_gateway_error_not_a_timeout(refiner: Refiner) -> None:
    page = (
        "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>"
        "504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>"
    )
    assert code(refiner, page, 504) == "UpstreamGatewayError"
    cloudflare = "<!DOCTYPE html><title>api.x.com | 522: Connection timed out</title>"
    assert code(refiner, cloudflare, 522) == "UpstreamGatewayError"


def test_ollama_port_refusal_depends_on_the_provider(refiner: Refiner) -> None:
    message = "connect ECONNREFUSED 127.0.0.1:11434"
    assert code(refiner, message, provider="ollama") == "OllamaServiceUnavailable"
    assert code(refiner, message, provider="openai") == "ProviderNetworkError"
    assert code(refiner, message) == "ProviderNetworkError"


def test_bare_400_stays_upstream_http_error_through_the_status_map(refiner: Refiner) -> None:
    decision = refiner.decide("ProviderBizError", "400 status code (no body)", None, "openai")
    assert (decision.code, decision.step) == ("UpstreamHttpError", "status")


def test_bare_401_is_an_auth_rejection(refiner: Refiner) -> None:
    assert code(refiner, "401 status code (no body)", provider="openai") == (
        "InvalidProviderAPIKey"
    )


def test_status_alone_does_not_decide_when_the_body_speaks(refiner: Refiner) -> None:
    gemini_bad_key = (
        "[400 Bad Request] API key not valid. Please pass a valid API key. "
        '[{"reason":"API_KEY_INVALID"}]'
    )
    assert code(refiner, gemini_bad_key, 400, "google") == "InvalidProviderAPIKey"
    region = (
        "Error code: 403 - {'error': {'code': 'unsupported_country_region_territory', "
        "'message': 'Country, region, or territory not supported'}}"
    )
    assert code(refiner, region, 403, "openai") == "LocationNotSupportError"


def test_per_minute_quota_is_a_rate_limit_and_per_day_free_tier_a_plan_cap(
    refiner: Refiner,
) -> None:
    per_minute = (
        "429 Quota exceeded for quota metric 'Generate Content API requests per minute' and "
        "limit 'GenerateContent request limit per minute for a region'"
    )
    assert code(refiner, per_minute, 429, "google") == "RateLimitExceeded"
    per_day = (
        "You exceeded your current quota, please check your plan and billing details. "
        "* Quota exceeded for metric: generativelanguage.googleapis.com/"
        "generate_content_free_tier_requests, limit: 250"
    )
    assert code(refiner, per_day, 429, "google") == "FreePlanLimit"


def test_overloaded_model_is_service_unavailable(refiner: Refiner) -> None:
    message = 'Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    assert code(refiner, message, 529, "anthropic") == "ProviderServiceUnavailable"


def test_bare_residuals_stay_in_the_catch_all(refiner: Refiner) -> None:
    for message in ("Provider returned error", "Something went wrong", "Error: {}"):
        assert code(refiner, message) == "ProviderBizError", message
