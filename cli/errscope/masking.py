"""Masking: replace the volatile parts of a message (ids, numbers, times, addresses) with `<*>`.

A pure function of the message, used before template mining so that messages differing only in
their variables read the same. `MASK_RULES` lists every rule with its regex for documentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WILDCARD = "<*>"


@dataclass(frozen=True, slots=True)
class MaskRule:
    """One masking rule: a name, what it replaces, and the regex (Python `re` syntax)."""

    name: str
    description: str
    pattern: str


# Every pattern below is written to run in time linear in the message on Python's backtracking
# engine: a rule starts only at a token boundary (a negative lookbehind on the characters it
# consumes) or at a literal key, repeats are bounded or run over characters their delimiter
# cannot match, so a failed attempt costs at most one run of characters and runs do not
# overlap. tests/test_masking.py times hostile inputs of 200,000 characters.

_B = r"(?<![A-Za-z0-9])"  # not glued to a letter or digit on the left
_E = r"(?![A-Za-z0-9]|<\*>)"  # ... nor on the right (a wildcard counts as glued)
_HEX = "[0-9A-Fa-f]"

_ID_PREFIXES = (
    "req|chatcmpl|cmpl|msg|gen|resp|run|call|toolu|srvtoolu|file|asst|thread|batch|ftjob"
    "|org|proj|sess|evt|trace|span|user|sk|pk|key"
)
_TLDS = (
    "com|net|org|edu|gov|mil|int|io|ai|dev|app|cloud|co|us|uk|de|fr|jp|cn|hk|ru|nl|eu|ca|au|in"
    "|br|kr|info|biz|local|localdomain|internal|lan|arpa"
)
_UNITS = (
    "ms|us|µs|ns|s|sec|secs|min|mins|m|h|hr|hrs|d|KiB|MiB|GiB|TiB|KB|MB|GB|TB|kB|kb|mb|gb"
    "|B|b|k|K|M|G|T|x|%|st|nd|rd|th"
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = MaskRule(
    "date",
    "a date with a month name, as in HTTP, RFC 2822, ctime and syslog: 'Tue, 15 Nov 1994 "
    "08:12:31 GMT', 'Fri Jun 17 07:07:00 2005', 'Jun  9 06:06:20'",
    r"(?<![A-Za-z0-9])(?<!<\*>)(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6},? {1,2})?"
    r"(?:\d{1,2}[ \-](?:" + "|".join(_MONTHS) + r")[a-z]{0,6}[ \-]\d{2,4}"
    r"|(?:" + "|".join(_MONTHS) + r")[a-z]{0,6} {1,2}\d{1,2}(?:, \d{4})?)"
    r"(?: {1,2}\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?"
    r"(?: ?(?:GMT|UTC|Z|[+\-]\d{2}:?\d{2}))?(?: \d{4})?(?![A-Za-z0-9]|<\*>)",
)

# No token rule starts right after a wildcard: in the message before masking, that position was
# glued to the masked value, and this keeps mask(mask(m)) == mask(m).
_NOT_AFTER_WILDCARD = r"(?<!<\*>)"

# Rules applied to each space-separated token on its own. None of them can match a space, which
# is what makes that equivalent to applying them to the whole message. Ordered: at one start
# position the first rule that matches wins.
_TOKEN_RULES_BARE = (
    MaskRule(
        "url",
        "a URL with a scheme (https://..., s3://...), up to whitespace or a closing quote",
        r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,15}://[^\s'\"<>`]*[^\s'\"<>`.,;:!?)\]}]",
    ),
    MaskRule(
        "email",
        "an e-mail address",
        r"(?<![\w.+\-])[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+",
    ),
    MaskRule(
        "path",
        "a file path or URL path with two or more segments (/etc/hosts, /v1/chat/completions), "
        "or a Windows path (C:\\Users\\...)",
        r"(?<![\w.~\-/\\])(?:(?:~|\.{1,2})?(?:/[^/\s'\"<>,;()\[\]{}]+){2,}/?"
        r"|[A-Za-z]:\\[^\s'\"<>,;()\[\]{}]*)",
    ),
    MaskRule(
        "hostname",
        "a domain name ending in a common top-level domain (api.openai.com) or in a country "
        "second-level domain (www.example.co.uk, mail.uni.edu.pl)",
        r"(?<![\w.\-/])(?:[A-Za-z0-9][A-Za-z0-9\-]{0,62}\.)+(?:" + _TLDS + r")(?![\w\-]|<\*>)"
        r"(?!\.[A-Za-z0-9<])"
        r"|(?<![\w.\-/])(?:[A-Za-z0-9][A-Za-z0-9\-]{0,62}\.)+(?:com|net|org|edu|gov|ac|co)"
        r"\.[a-z]{2}(?![\w\-]|<\*>)(?!\.[A-Za-z0-9<])",
    ),
    MaskRule(
        "uuid",
        "a UUID (8-4-4-4-12 hex digits)",
        _B + _HEX + "{8}-" + _HEX + "{4}-" + _HEX + "{4}-" + _HEX + "{4}-" + _HEX + "{12}" + _E,
    ),
    MaskRule(
        "prefixed-id",
        "a provider id such as req_..., chatcmpl-..., msg_..., gen-..., resp_..., org-...",
        r"(?<![A-Za-z0-9_\-])(?:" + _ID_PREFIXES + r")[_\-]"
        r"(?:(?=[A-Za-z]{0,64}[0-9])[A-Za-z0-9]{6,}|[A-Za-z0-9]{16,})"
        r"(?:[_\-][A-Za-z0-9]+)*" + _E,
    ),
    MaskRule(
        "iso-timestamp",
        "an ISO 8601 date or date-time, with optional fraction and zone",
        _B + r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?"
        r"(?:Z|[+\-]\d{2}:?\d{2})?" + _E,
    ),
    MaskRule(
        "clock-time",
        "a time of day such as 08:12:31 or 08:12:31.123",
        _B + r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?" + _E,
    ),
    MaskRule(
        "ipv6",
        "an IPv6 address, optionally [bracketed] with a port",
        r"(?<![A-Za-z0-9:.])\[?(?:" + _HEX + r"{1,4}|(?=::))(?::" + _HEX + r"{0,4}){1,6}"
        r"(?::" + _HEX + r"{1,4}|:(?:\d{1,3}\.){3}\d{1,3})\]?(?::\d{1,5})?(?![A-Za-z0-9:]|<\*>)",
    ),
    MaskRule(
        "ipv4",
        "an IPv4 address, optionally with a port or a /prefix",
        r"(?<![A-Za-z0-9.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5}|/\d{1,2})?" + _E,
    ),
    MaskRule(
        "hex",
        "a 0x-prefixed hex number, or a run of 8+ hex digits that contains a digit",
        _B + r"(?:0[xX]" + _HEX + r"+|(?=[A-Fa-f]{0,64}[0-9])" + _HEX + r"{8,})" + _E,
    ),
    MaskRule(
        "random-id",
        "a token of 12+ letters and digits mixed (an opaque id such as a1B2c3D4e5F6)",
        r"(?<![A-Za-z0-9_\-])(?=[A-Za-z]{0,64}[0-9])(?=[0-9]{0,64}[A-Za-z])"
        r"[A-Za-z0-9]{12,}" + _E,
    ),
    MaskRule(
        "duration",
        "a compound duration such as 1m30s, 2h5m or 6m0.5s",
        _B + r"(?:\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s)){2,}" + _E,
    ),
    MaskRule(
        "number",
        "a standalone number: integer (epoch times too), decimal, exponent, sign, unit (12ms, "
        "1.5s, 30KB, 45%)",
        r"(?<![A-Za-z0-9])(?<![0-9]\.)(?<!<\*>\.)(?:(?<![\-+])[\-+])?\d+(?:[.,]\d+)*"
        r"(?:[eE][\-+]?\d+)?(?:" + _UNITS + ")?" + _E,
    ),
)
_TOKEN_RULES: tuple[MaskRule, ...] = tuple(
    MaskRule(rule.name, rule.description, f"{_NOT_AFTER_WILDCARD}(?:{rule.pattern})")
    for rule in _TOKEN_RULES_BARE
)

# The keyed rules keep their key (group 1) and replace only the value. Each starts with literal
# alternatives, which lets Python's engine skip quickly to where a key can begin.
_KEYED_RULES: tuple[MaskRule, ...] = (
    MaskRule(
        "request-id",
        "the token after 'request id', 'request_id', 'Request ID:', 'X-Request-Id', 'trace id' "
        "and the like",
        r"((?:request|Request|REQUEST|trace|Trace|TRACE|correlation|Correlation|CORRELATION)"
        r"[ _\-]?(?:id|Id|ID)(?![A-Za-z0-9])[\"']?[ \t]{0,3}[:=]?[ \t]{0,3}[\"']?)"
        r"(?!<\*>)[A-Za-z0-9](?:[\w.:\-]*[A-Za-z0-9])?",
    ),
    MaskRule(
        "quoted-id",
        "a quoted JSON or Python-dict value whose key is id or ends in _id, Id or ID ('id': "
        """'..', "user_id": "..", "requestId": "..")""",
        r"((?:id(?<![a-z]id)|Id|ID)([\"'])[ \t]{0,3}:[ \t]{0,3}([\"']))"
        r"[^\"'\s\\<>]{1,200}(?=\3)",
    ),
)

# Applied last, to the masked message.
_UNIT_WORDS = (
    "B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|kB|ms|msec|msecs|milliseconds?|us|µs|ns|s|sec|secs|seconds?"
    "|min|mins|minutes?|h|hrs?|hours?"
)
_COLLAPSE = MaskRule(
    "collapse",
    "a wildcard absorbs the unit words after it and the wildcards joined to it by spaces or "
    "separators (:.,/_-): '<*> KB', '<*> seconds', '<*>:<*>' and '<*>, <*>' become <*>",
    r"<\*>(?: (?:" + _UNIT_WORDS + r")(?![A-Za-z0-9])|[ :.,/_\-]{0,3}<\*>)+",
)

MASK_RULES: tuple[MaskRule, ...] = _KEYED_RULES + (_DATE,) + _TOKEN_RULES + (_COLLAPSE,)
"""Every rule `mask` applies, in the order it applies them."""

_KEYED_RES = tuple(re.compile(rule.pattern) for rule in _KEYED_RULES)
_DATE_RE = re.compile(_DATE.pattern)
# Same as joining _TOKEN_RULES, with their shared first assertion tested once per position.
_TOKEN_RE = re.compile(
    _NOT_AFTER_WILDCARD
    + "(?:"
    + "|".join(f"(?:{rule.pattern})" for rule in _TOKEN_RULES_BARE)
    + ")"
)
_COLLAPSE_RE = re.compile(_COLLAPSE.pattern)
# Cheap tests that let most messages skip the slower whole-message rules.
_REQUEST_ID_HINT = re.compile(r"(?:request|trace|correlation)[ _\-]?id")
_MONTH_HINT = re.compile("|".join(_MONTHS))

# Python's regex engine pays per character tried, so the token rules run once per distinct
# space-separated token and the result is cached: messages repeat most of their tokens. The
# cache changes nothing but speed (the rules cannot match across a space; see _TOKEN_RULES).
_CACHE_LIMIT = 1 << 18
# Every token rule needs a digit or one of these characters.
_MAYBE_VOLATILE = re.compile(r"[\d:/@.\-_\\]")
_token_cache: dict[str, str] = {}


def _mask_token(token: str) -> str:
    masked = _token_cache.get(token)
    if masked is None:
        digits = token.rstrip(".,;:")
        if digits.isdecimal():  # the common case: what the number rule would do, faster
            masked = WILDCARD + token[len(digits) :]
        elif _MAYBE_VOLATILE.search(token) is None:  # no token rule can match
            masked = token
        else:
            masked = _TOKEN_RE.sub(WILDCARD, token)
        if len(_token_cache) >= _CACHE_LIMIT:
            _token_cache.clear()
        _token_cache[token] = masked
    return masked


def mask(message: str) -> str:
    """The message with every volatile token replaced by `<*>`; adjacent wildcards collapse."""
    lowered = message.lower()
    if ("request" in lowered or "trace" in lowered or "correlation" in lowered) and (
        _REQUEST_ID_HINT.search(lowered)
    ):
        message = _KEYED_RES[0].sub(r"\g<1><*>", message)
    if "id'" in lowered or 'id"' in lowered:
        message = _KEYED_RES[1].sub(r"\g<1><*>", message)
    if _MONTH_HINT.search(message):
        message = _DATE_RE.sub(WILDCARD, message)
    tokens = message.split(" ")
    masked = list(map(_token_cache.get, tokens))
    try:
        message = " ".join(masked)  # type: ignore[arg-type]  # None (a cache miss) raises
    except TypeError:
        message = " ".join([_mask_token(token) for token in tokens])
    if WILDCARD in message:
        message = _COLLAPSE_RE.sub(WILDCARD, message)
    return message


def mask_tokens(message: str) -> list[str]:
    """`mask(message)` split on whitespace: the token sequence the template miner works on."""
    return mask(message).split()
