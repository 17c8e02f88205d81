"""Masking: every rule on an example, idempotence, and linear time on hostile input."""

from __future__ import annotations

import random
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errscope.masking import MASK_RULES, WILDCARD, mask, mask_tokens

# (rule, message, what the rule's regex matches on its own, the whole message after mask)
EXAMPLES = [
    (
        "request-id",
        "Request failed with request id abc-def_ghi.",
        "request id abc-def_ghi",
        "Request failed with request id <*>.",
    ),
    ("request-id", "Server error. Request ID: ABCD:1234:EF", "Request ID: ABCD:1234:EF", None),
    (
        "request-id",
        "x-request-id=foo-bar returned",
        "request-id=foo-bar",
        "x-request-id=<*> returned",
    ),
    ("quoted-id", '{"id": "abc", "ok": true}', 'id": "abc', '{"id": "<*>", "ok": true}'),
    (
        "quoted-id",
        "{'type': 'error', 'request_id': 'xyz'}",
        "id': 'xyz",
        "{'type': 'error', 'request_id': '<*>'}",
    ),
    ("date", "Date: Tue, 15 Nov 1994 08:12:31 GMT", "Tue, 15 Nov 1994 08:12:31 GMT", "Date: <*>"),
    ("date", "at Fri Jun 17 07:07:00 2005 from host", "Fri Jun 17 07:07:00 2005", None),
    ("date", "Jun  9 06:06:20 combo sshd", "Jun  9 06:06:20", "<*> combo sshd"),
    (
        "url",
        "Visit https://platform.openai.com/account/rate-limits to learn more.",
        "https://platform.openai.com/account/rate-limits",
        "Visit <*> to learn more.",
    ),
    ("email", "contact ops.team+llm@example.com now", "ops.team+llm@example.com", None),
    ("path", "ok /etc/httpd/conf/workers2.properties", "/etc/httpd/conf/workers2.properties", None),
    ("path", "POST /v1/chat/completions failed", "/v1/chat/completions", "POST <*> failed"),
    ("path", r"open C:\Users\me\notes.txt failed", r"C:\Users\me\notes.txt", "open <*> failed"),
    ("hostname", "getaddrinfo ENOTFOUND api.openai.com", "api.openai.com", None),
    ("hostname", "host mail.uni.edu.pl is down", "mail.uni.edu.pl", "host <*> is down"),
    (
        "uuid",
        "lookup 123e4567-e89b-12d3-a456-426614174000 failed",
        "123e4567-e89b-12d3-a456-426614174000",
        "lookup <*> failed",
    ),
    ("prefixed-id", "Request req_5f3a9b2c1d4e failed", "req_5f3a9b2c1d4e", "Request <*> failed"),
    ("prefixed-id", "stream chatcmpl-9aBcD3eFgHiJkLmN closed", "chatcmpl-9aBcD3eFgHiJkLmN", None),
    ("prefixed-id", "message msg_01XFDUDYJgAACzvnptvVoYEL", "msg_01XFDUDYJgAACzvnptvVoYEL", None),
    (
        "prefixed-id",
        "gen-1740000000-AbCdEfGhIjKlMnOp failed",
        "gen-1740000000-AbCdEfGhIjKlMnOp",
        None,
    ),
    ("prefixed-id", "org org-AbCdEfGhIjKlMnOpQrStUvWx", "org-AbCdEfGhIjKlMnOpQrStUvWx", "org <*>"),
    ("iso-timestamp", "at 2024-01-02T03:04:05.123Z ok", "2024-01-02T03:04:05.123Z", "at <*> ok"),
    ("iso-timestamp", "at 2024-01-02 03:04:05 ok", "2024-01-02", "at <*> ok"),
    ("clock-time", "done at 08:12:31.123 today", "08:12:31.123", "done at <*> today"),
    (
        "ipv6",
        "connect to [2001:db8::8a2e:370:7334]:443 failed",
        "[2001:db8::8a2e:370:7334]:443",
        "connect to <*> failed",
    ),
    ("ipv6", "ping fe80::1 failed", "fe80::1", "ping <*> failed"),
    ("ipv4", "connect ECONNREFUSED 10.0.3.4:443", "10.0.3.4:443", "connect ECONNREFUSED <*>"),
    ("hex", "ptr 0x7ffee4b1 freed", "0x7ffee4b1", "ptr <*> freed"),
    ("hex", "commit 8a2e3700f1 pushed", "8a2e3700f1", "commit <*> pushed"),
    ("random-id", "token a1B2c3D4e5F6g7 expired", "a1B2c3D4e5F6g7", "token <*> expired"),
    ("duration", "Please try again in 6m0s.", "6m0s", "Please try again in <*>."),
    (
        "number",
        "Limit 30000, Used 29000, Requested 1500.",
        "30000",
        "Limit <*>, Used <*>, Requested <*>.",
    ),
    ("number", "took 12ms then 1.5s at 45% load", "12ms", "took <*> then <*> at <*> load"),
    ("number", "keyId: -127633188 ok", "-127633188", "keyId: <*> ok"),
    ("number", "Error code: 429 - overloaded", "429", "Error code: <*> - overloaded"),
    ("collapse", "sent <*> KB, <*> MB in <*> seconds", "<*> KB, <*> MB", None),
    ("collapse", "<*>:<*> and <*>, <*> s", "<*>:<*>", None),
]

UNCHANGED = [
    "Overloaded",
    "invalid_request_error",
    "gpt-4o is busy",
    "utf8 eth0 sha256 IPv6 x-api-key",
    "Please try again later.",
    "",
]


@pytest.mark.parametrize(("rule", "message", "matched", "masked"), EXAMPLES)
def test_rule(rule: str, message: str, matched: str, masked: str | None) -> None:
    pattern = next(r.pattern for r in MASK_RULES if r.name == rule)
    found = re.search(pattern, message)
    assert found is not None
    assert found.group(0) == matched
    if masked is not None:
        assert mask(message) == masked


def test_every_rule_has_an_example() -> None:
    names = [rule.name for rule in MASK_RULES]
    assert len(names) == len(set(names))
    assert set(names) == {rule for rule, *_ in EXAMPLES}
    for rule in MASK_RULES:
        assert rule.description
        re.compile(rule.pattern)


@pytest.mark.parametrize("message", UNCHANGED)
def test_constants_stay(message: str) -> None:
    assert mask(message) == message


def test_units_and_runs_collapse() -> None:
    assert mask("sent 1.16 KB, 2 MB in 20 seconds") == "sent <*> in <*>"
    assert (
        mask("from 10.0.0.1 port 443 at 2024-01-02 03:04:05 UTC") == "from <*> port <*> at <*> UTC"
    )
    assert mask("Limit 30000, Used 29000") == "Limit <*>, Used <*>"


def test_whitespace_kept_and_tokens() -> None:
    message = "a  1\tb\n2 c"
    assert mask(message) == "a  <*>\tb\n<*> c"
    assert mask_tokens(message) == ["a", "<*>", "b", "<*>", "c"]


def test_html_page() -> None:
    page = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<p>Request ID: 7f3a2b1c-0d4e-4f5a-8b6c-9d0e1f2a3b4c</p>\r\n</body>\r\n</html>"
    )
    masked = mask(page)
    assert "502" not in masked
    assert "7f3a2b1c" not in masked
    assert masked.startswith("<html>\r\n<head><title><*> Bad Gateway</title>")


@pytest.mark.parametrize(("rule", "message", "matched", "masked"), EXAMPLES)
def test_idempotent_on_examples(rule: str, message: str, matched: str, masked: str | None) -> None:
    once = mask(message)
    assert mask(once) == once


FRAGMENTS = st.sampled_from(
    list("aAzZfF019.:,-_/@<*> '\"=xX\\T\n()[]{}")
    + [
        "req_",
        "Request ID: ",
        "request id ",
        "trace_id=",
        '"id": "',
        "id': '",
        "Tue, 15 Nov 1994 ",
        "Jan ",
        "08:12:31",
        "2024-01-02",
        "T03:04",
        "http://a.com/x",
        "a@b.com",
        "::1",
        "1.2.3.4",
        "0x",
        " KB",
        " s",
        "<*>",
        ".com",
        "ms",
        "e5",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(FRAGMENTS, max_size=30).map("".join))
def test_idempotent(message: str) -> None:
    once = mask(message)
    assert mask(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text(message: str) -> None:
    masked = mask(message)
    assert mask(masked) == masked
    assert mask_tokens(message) == masked.split()
    if WILDCARD not in masked:
        assert masked == message


# Repeated 200,000 characters long: each defeats a rule near its end, the worst case for a
# backtracking engine; the last is a pseudo-random mix of the characters the rules care about.
HOSTILE = ["1.", "1:", "a.", "::", "@a.", 'id":"', "request id ", "Jan 1 ", "ffffffff-", "<*> s "]


@pytest.mark.parametrize("unit", [*HOSTILE, "mix"])
def test_linear_time_on_hostile_input(unit: str) -> None:
    size = 200_000
    if unit == "mix":
        rng = random.Random(0)
        message = "".join(rng.choice("aZf01.:-_/@<*> '\"=xX\\T") for _ in range(size))
    else:
        message = (unit * (size // len(unit) + 1))[:size] + "!"
    started = time.process_time()
    mask(message)
    # about 0.2 s on a slow shared runner; quadratic behaviour would take minutes
    assert time.process_time() - started < 3.0
