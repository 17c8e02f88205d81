"""Refinement semantics: first match wins, scopes, gates, status map edges, leading status."""

from __future__ import annotations

import pytest

from conftest import make_registry
from errscope.refine import Refiner, leading_status

PATTERNS = """
[[patterns]]
code = "ProviderBizError"
substring = "keep as biz"
note = "a pattern naming the stored code itself"
[[patterns]]
code = "DatabasePersistError"
substring = "duplicate key value violates"
note = "db first"

[[patterns]]
code = "InsufficientQuota"
substring = "insufficient_quota"
note = "quota before rate limits"

[[patterns]]
code = "RateLimitExceeded"
regex = 'rate.?limit'
ignore_case = true
note = "rate limit family"

[[patterns]]
code = "InvalidProviderAPIKey"
substring = "Invalid API Key"
note = "case-sensitive on purpose"

[[patterns]]
code = "ProviderNetworkError"
substring = "ECONNREFUSED"
providers = ["openai"]
note = "provider-scoped"

[[patterns]]
code = "ProviderServiceUnavailable"
substring = "overloaded"
stored_codes = ["AgentRuntimeError"]
note = "stored-code scoped"

"""


@pytest.fixture(scope="module")
def refiner() -> Refiner:
    return Refiner(make_registry(PATTERNS))


def decide(
    refiner: Refiner,
    message: str,
    stored: str = "ProviderBizError",
    status: int | None = None,
    provider: str | None = None,
) -> tuple[str, str]:
    d = refiner.decide(stored, message, status, provider)
    return d.code, d.step


def test_first_match_wins(refiner: Refiner) -> None:
    msg = "Failed query: duplicate key value violates unique constraint; params: rate limit"
    assert decide(refiner, msg) == ("DatabasePersistError", "pattern")
    assert decide(refiner, "429 insufficient_quota: rate limit")[0] == "InsufficientQuota"


def test_case_sensitivity(refiner: Refiner) -> None:
    assert decide(refiner, "RATE LIMIT hit")[0] == "RateLimitExceeded"
    assert decide(refiner, "Invalid API Key provided")[0] == "InvalidProviderAPIKey"
    assert decide(refiner, "invalid api key provided") == ("ProviderBizError", "no-match")


def test_provider_scope(refiner: Refiner) -> None:
    assert decide(refiner, "connect ECONNREFUSED", provider="openai")[0] == "ProviderNetworkError"
    assert decide(refiner, "connect ECONNREFUSED", provider="OpenAI")[0] == "ProviderNetworkError"
    assert decide(refiner, "connect ECONNREFUSED", provider="ollama") == (
        "ProviderBizError",
        "no-match",
    )
    assert decide(refiner, "connect ECONNREFUSED", provider=None)[1] == "no-match"


def test_stored_code_scope(refiner: Refiner) -> None:
    assert decide(refiner, "model overloaded", stored="AgentRuntimeError")[0] == (
        "ProviderServiceUnavailable"
    )
    assert decide(refiner, "model overloaded", stored="ProviderBizError")[0] == "ProviderBizError"


def test_specific_codes_pass_through(refiner: Refiner) -> None:
    assert decide(refiner, "rate limit", stored="InvalidProviderAPIKey") == (
        "InvalidProviderAPIKey",
        "pass-through",
    )
    assert decide(refiner, "rate limit", stored="pg_23505") == ("pg_23505", "pass-through")
    assert decide(refiner, "whatever", stored="QuotaLimitReached") == ("RateLimitExceeded", "alias")


def test_refinable_gates(refiner: Refiner) -> None:
    # Pattern pass applies to every refinable code, including the bare 500 ...
    assert decide(refiner, "rate limit", stored="500")[0] == "RateLimitExceeded"
    assert decide(refiner, "rate limit", stored="UpstreamHttpError")[0] == "RateLimitExceeded"
    # ... but the status pass only to ProviderBizError.
    assert decide(refiner, "boom", stored="UpstreamHttpError", status=429) == (
        "UpstreamHttpError",
        "no-match",
    )
    assert decide(refiner, "boom", stored="AgentRuntimeError", status=503)[0] == "AgentRuntimeError"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (399, "ProviderBizError"),
        (400, "UpstreamHttpError"),
        (401, "UpstreamHttpError"),
        (402, "InsufficientQuota"),
        (429, "RateLimitExceeded"),
        (499, "UpstreamHttpError"),
        (500, "ProviderServiceUnavailable"),
        (599, "ProviderServiceUnavailable"),
        (600, "ProviderBizError"),
        (200, "ProviderBizError"),
    ],
)
def test_status_map_edges(refiner: Refiner, status: int, expected: str) -> None:
    assert decide(refiner, "opaque", status=status)[0] == expected


def test_patterns_read_the_body_before_the_status(refiner: Refiner) -> None:
    assert decide(refiner, "insufficient_quota", status=429) == ("InsufficientQuota", "pattern")


def test_leading_status(refiner: Refiner) -> None:
    assert decide(refiner, "429 Too Many Requests")[0] == "RateLimitExceeded"
    assert decide(refiner, "503 Service Unavailable") == ("ProviderServiceUnavailable", "status")
    assert decide(refiner, "4290 things")[0] == "ProviderBizError"
    assert decide(refiner, " 503 leading space")[0] == "ProviderBizError"
    assert decide(refiner, "error 503")[0] == "ProviderBizError"
    # A structured status wins over the leading one.
    assert decide(refiner, "503 upstream", status=402)[0] == "InsufficientQuota"
    assert leading_status("500: x") == 500
    assert leading_status("600 x") is None


def test_leading_status_can_be_turned_off() -> None:
    from conftest import CODES

    registry = make_registry(codes=CODES.replace("leading_status = true", "leading_status = false"))
    assert Refiner(registry).decide("ProviderBizError", "429 Too Many Requests").code == (
        "ProviderBizError"
    )


def test_match_of_the_stored_code_is_not_a_refinement(refiner: Refiner) -> None:
    # The first match names the stored code: no pattern refinement, the status pass still runs,
    # and later patterns (rate limit) do not get a second chance.
    assert decide(refiner, "keep as biz; rate limit", status=503) == (
        "ProviderServiceUnavailable",
        "status",
    )
    assert decide(refiner, "keep as biz; rate limit") == ("ProviderBizError", "no-match")


def test_full_rerun_treats_every_row_as_catch_all() -> None:
    refiner = Refiner(make_registry(PATTERNS), full_rerun=True)
    assert refiner.decide("InvalidProviderAPIKey", "rate limit").code == "RateLimitExceeded"
    assert refiner.decide("InvalidProviderAPIKey", "nothing here").code == "InvalidProviderAPIKey"


def test_full_rerun_status_map_decides_only_catch_alls_and_unknown_names() -> None:
    refiner = Refiner(make_registry(PATTERNS), full_rerun=True)
    # a specific stored code keeps its meaning against a blunt 4xx/5xx status ...
    assert refiner.decide("InvalidProviderAPIKey", "nothing here", 500).code == (
        "InvalidProviderAPIKey"
    )
    # ... while a catch-all and a name the registry does not know go through the status map
    assert refiner.decide("AgentRuntimeError", "nothing here", 429).code == "RateLimitExceeded"
    assert refiner.decide("SomeSdkError", "nothing here", 503).code == (
        "ProviderServiceUnavailable"
    )


def test_decide_many_matches_each_message_once(refiner: Refiner) -> None:
    rows = [("ProviderBizError", "rate limit", None, None)] * 3 + [
        ("RateLimitExceeded", "x", None, None)
    ]
    codes = [d.code for d in refiner.decide_many(rows)]
    assert codes == ["RateLimitExceeded"] * 3 + ["RateLimitExceeded"]


def test_hostile_message_is_linear() -> None:
    import time

    registry = make_registry(
        '[[patterns]]\ncode = "RateLimitExceeded"\nregex = \'(a+)+$\'\nnote = "evil"\n'
    )
    start = time.monotonic()
    Refiner(registry).decide("ProviderBizError", "a" * 200_000 + "!")
    assert time.monotonic() - start < 2.0
