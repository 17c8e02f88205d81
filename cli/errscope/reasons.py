"""Omi-style reasons (invalid, permission, quota, rate_limit, network, server, request, other).

A reason is derived from a code, so BYOK users' own key and quota failures can be told apart
from platform incidents, and compared with the reason a system logged at the time.
"""

from __future__ import annotations

from errscope.registry import CodeSpec

REASONS = ("invalid", "permission", "quota", "rate_limit", "network", "server", "request", "other")

_BY_CODE = {
    "PermissionDenied": "permission",
    "AccountDeactivated": "permission",
    "LocationNotSupportError": "permission",
    "RateLimitExceeded": "rate_limit",
    "UpstreamGatewayError": "server",
    "UpstreamMalformedResponse": "server",
    "ModelEmptyCompletion": "server",
    "OllamaBizError": "server",
    "ProviderNoImageGenerated": "server",
    "ProviderContentPolicyViolation": "request",
    "ModelRefusal": "request",
}
_BY_CATEGORY = {
    "auth": "invalid",
    "quota": "quota",
    "capacity": "server",
    "network": "network",
    "request": "request",
    "safety": "request",
    "config": "request",
}


def reason_for(code: str, spec: CodeSpec | None) -> str:
    """The reason for a re-run code: by name first, then by category, else `other`."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if spec is None:
        return "other"
    return _BY_CATEGORY.get(spec.category, "other")
