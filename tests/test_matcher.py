"""The fast path (Hyperscan) answers exactly what the reference engine (RE2) answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_registry
from errscope.matcher import Matcher, hyperscan_regex
from errscope.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]

TRICKY = r"""
[[patterns]]
code = "RateLimitExceeded"
regex = 'limit\s+reached'
note = "RE2 space class is five characters; PCRE would add vertical tab"

[[patterns]]
code = "RateLimitExceeded"
regex = 'quota\S+'
note = "the negated space class likewise"

[[patterns]]
code = "ProviderNetworkError"
regex = 'timeout$'
note = "RE2 end anchor is the end of text only"

[[patterns]]
code = "InsufficientQuota"
substring = "skill"
ignore_case = true
note = "RE2 folds KELVIN SIGN onto k and LONG S onto s"

[[patterns]]
code = "UpstreamHttpError"
regex = '[]x]y|[^]a]z|[[:digit:]]{3}'
note = "literal ] first in a class; posix class"

[[patterns]]
code = "InvalidProviderAPIKey"
regex = '(?i)令牌(?-i:ABC)'
note = "caseless CJK under (?i) stays on the fast path"

[[patterns]]
code = "ProviderServiceUnavailable"
regex = '(?i)đang bận'
note = "cased non-ASCII letters under a pattern-wide (?i): expanded to explicit classes"

[[patterns]]
code = "ProviderServiceUnavailable"
regex = 'máy (?i:đang) BẬN'
note = "scoped (?i) over a cased non-ASCII letter: RE2 only"

[[patterns]]
code = "RateLimitExceeded"
regex = '(?i)too many|rate[^\n]{0,20}exceeded|slow(?: down){1,25}!'
note = "bounded gaps: compiled unbounded, RE2 confirms what only they fire on"

[[patterns]]
code = "ProviderBizError"
regex = '(?:a|b){0,30}(?:x{2,40}|y{5,40})'
note = "a bounded repeat that may match empty; one kept bounded (low > 3)"
"""


@pytest.fixture(scope="module")
def pair() -> tuple[Matcher, Matcher]:
    registry = make_registry(TRICKY)
    return Matcher(registry.patterns), Matcher(registry.patterns, use_hyperscan=False)


@pytest.mark.parametrize(
    "message",
    [
        "limit\x0breached",
        "limit \t reached",
        "quota\x0b",
        "quota!!",
        "timeout\n",
        "timeout",
        "SKILL",
        "s\u212aill",
        "\u017fkill",
        "]y",
        "bz",
        "az",
        "123",
        "令牌ABC",
        "令牌abc",
        "ĐANG BẬN",
        "đang bận",
        "máy ĐANG BẬN",
        "máy đang bận",
        "MÁY đang BẬN",
        "",
        "rate" + "-" * 20 + "exceeded",
        "RATE" + "-" * 21 + "exceeded",
        "rate\nexceeded",
        "Too Many, rate" + "." * 30 + "exceeded",
        "slow down down!",
        "slow" + " down" * 26 + "!",
        "xx",
        "ab" * 20 + "x",
        "yyyy",
        "yyyyy",
        "y" * 41,
        "x" * 41,
    ],
)
def test_engines_agree_on_tricky_messages(pair: tuple[Matcher, Matcher], message: str) -> None:
    fast, reference = pair
    assert fast.matches(message) == reference.matches(message)


def test_fast_path_is_really_used(pair: tuple[Matcher, Matcher]) -> None:
    fast, _ = pair
    pytest.importorskip("hyperscan")
    assert fast.engines == {"hyperscan": 7, "hyperscan+re2": 3, "re2": 0}


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"a\sb", "a[\\t\\n\\f\\r ]b"),
        (r"a\Sb", "a[^\\t\\n\\f\\r ]b"),
        (r"[\s\d]", "[\\t\\n\\f\\r \\d]"),
        (r"[\S]", None),
        (r"end$", "end\\z"),
        (r"cost \$5", "cost \\$5"),
        (r"[$]", "[$]"),
        (r"(?P<x>a)", None),
        (r"(?m)^a$", None),
        (r"\pL", None),
        ("(?is)(?:đ)", "(?is)(?:[Đđ])"),
        ("(?s)(?:(?i)x[ăâ]y)", "(?s)(?:(?i)x[Ăăâ]y)".replace("[Ăăâ]", "[Ăă" + "Ââ]")),
        ("(?s)(?:(?i)x(?-i:đ))", None),
        ("(?s)(?:a(?i:đ))", None),
    ],
)
def test_translation(regex: str, expected: str | None) -> None:
    assert hyperscan_regex(regex) == expected


def _corpus_messages() -> list[str]:
    messages = []
    for path in sorted((ROOT / "fixtures" / "corpus").glob("*.jsonl")):
        messages += [json.loads(line)["message"] for line in path.read_text("utf-8").splitlines()]
    return messages


def test_engines_agree_on_the_corpus_with_the_default_registry() -> None:
    registry = load_registry()
    fast, reference = Matcher(registry.patterns), Matcher(registry.patterns, use_hyperscan=False)
    for message in _corpus_messages():
        assert fast.matches(message) == reference.matches(message), message


ALPHABET = st.sampled_from(list("abkKsS \t\n\x0b$]x[yz0123令牌ABCđĐáÁ\u212a\u017f"))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            ALPHABET,
            st.sampled_from(
                [
                    "limit",
                    "reached",
                    "quota",
                    "timeout",
                    "skill",
                    "bận",
                    "BẬN",
                    "đang",
                    "máy ",
                    " 429 ",
                    "rate",
                    "exceeded",
                    "slow",
                    " down",
                    "!",
                    "-" * 9,
                    "ab",
                    "yyyyy",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_engines_agree_on_random_messages(pieces: list[str]) -> None:
    message = "".join(pieces)
    fast, reference = _PAIR
    assert fast.matches(message) == reference.matches(message)


_REGISTRY = make_registry(TRICKY)
_PAIR = (Matcher(_REGISTRY.patterns), Matcher(_REGISTRY.patterns, use_hyperscan=False))


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (
            r"(?s)(?:(?i)abc|a[^\n]{0,60}b|(?:x|y{0,30})z)",
            (r"(?s)(?:(?i)abc)", r"(?s)(?:(?i)a[^\n]*b|(?:x|y*)z)"),
        ),
        (
            r"(?s)(?:a{1,20}|b{2,99}|c{4,99}|d{0,19})",
            (r"(?s)(?:c{4,99}|d{0,19})", r"(?s)(?:a+|b{2,})"),
        ),
        (r"(?s)(?:abc|d{0,5})", None),
        (r"(?s)(?:a{,30}b)", None),  # RE2 reads `{,30}` as text, not a repeat
        (r"(?s)(?:a\{0,30}|[{]{0,30}x)", (r"(?s)(?:a\{0,30})", r"(?s)(?:[{]*x)")),
        # a flag at the top level reaches later alternatives: relaxed whole, never split
        (r"(?s)(?:(?i)abc|a(?-i)[^\n]{0,60}b|q)", (None, r"(?s)(?:(?i)abc|a(?-i)[^\n]*b|q)")),
    ],
)
def test_long_gaps_are_split_off_and_relaxed(
    regex: str, expected: tuple[str | None, str] | None
) -> None:
    from errscope.matcher import split_relaxed

    assert split_relaxed(regex) == expected
