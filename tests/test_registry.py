"""Registry loading: strict validation with precise messages, hashing, the built-in default."""

from __future__ import annotations

import pytest

from conftest import CODES, make_registry
from errscope.errors import RegistryError
from errscope.registry import load_registry, parse_registry


def error_of(text: str) -> str:
    with pytest.raises(RegistryError) as info:
        parse_registry(text, origin="r.toml")
    return info.value.message


def test_default_registry_loads_with_the_lobehub_taxonomy() -> None:
    registry = load_registry()
    assert registry.codes["ProviderBizError"].id == "E8002"
    assert registry.codes["UpstreamGatewayError"].retryable
    assert registry.codes["DatabasePersistError"].fallback
    assert {c for c, s in registry.codes.items() if s.fallback} == {
        "AgentRuntimeError",
        "ProviderBizError",
        "UpstreamHttpError",
        "DatabasePersistError",
    }
    assert {c for c, s in registry.codes.items() if s.retryable} == {
        "RateLimitExceeded",
        "ProviderServiceUnavailable",
        "ProviderNetworkError",
        "UpstreamGatewayError",
    }
    assert registry.resolve("QuotaLimitReached") == "RateLimitExceeded"
    assert registry.is_fallback("500") and not registry.is_fallback("pg_23505")
    assert len(registry.codes) == 56
    assert load_registry("default").content_hash == registry.content_hash


def test_unknown_code_in_pattern() -> None:
    message = error_of(CODES + '[[patterns]]\ncode = "RateLimitExceded"\nsubstring = "x"\n')
    assert "pattern #1" in message and "unknown code 'RateLimitExceded'" in message


def test_unknown_code_hint_suggests_the_closest() -> None:
    with pytest.raises(RegistryError) as info:
        make_registry('[[patterns]]\ncode = "RateLimitExceded"\nsubstring = "x"\n')
    assert info.value.hint == "did you mean 'RateLimitExceeded'?"


def test_duplicate_code() -> None:
    message = error_of(CODES + '[codes.RateLimitExceeded]\nid = "E3009"\ncategory = "capacity"\n')
    assert "not valid TOML" in message and "RateLimitExceeded" in message or "twice" in message


def test_duplicate_numeric_id() -> None:
    extra = '[codes.Other]\nid = "E3001"\ncategory = "capacity"\nattribution = "provider"\n'
    assert "duplicate id E3001, already used by RateLimitExceeded" in error_of(
        CODES.replace("[aliases]", extra + "\n[aliases]")
    )


def test_id_digit_must_match_category() -> None:
    extra = '[codes.Other]\nid = "E4099"\ncategory = "capacity"\nattribution = "provider"\n'
    message = error_of(CODES.replace("[aliases]", extra + "\n[aliases]"))
    assert "id E4099 does not match category 'capacity'" in message


def test_malformed_id() -> None:
    extra = '[codes.Other]\nid = "3001"\ncategory = "capacity"\nattribution = "provider"\n'
    assert "is not E followed by four digits" in error_of(
        CODES.replace("[aliases]", extra + "\n[aliases]")
    )


def test_empty_pattern() -> None:
    assert "pattern #2: empty substring" in error_of(
        CODES + '[[patterns]]\ncode = "RateLimitExceeded"\nsubstring = "x"\n'
        '[[patterns]]\ncode = "RateLimitExceeded"\nsubstring = ""\n'
    )


def test_regex_the_engine_cannot_compile_names_position_and_text() -> None:
    message = error_of(CODES + "[[patterns]]\ncode = \"RateLimitExceeded\"\nregex = '(?<=a)b'\n")
    assert "pattern #1 (regex '(?<=a)b')" in message and "RE2" in message


def test_backreference_is_refused() -> None:
    assert "cannot compile" in error_of(
        CODES + "[[patterns]]\ncode = \"RateLimitExceeded\"\nregex = '(a)\\1'\n"
    )


def test_unclosed_group() -> None:
    assert "missing )" in error_of(
        CODES + '[[patterns]]\ncode = "RateLimitExceeded"\nregex = "(a"\n'
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (CODES.replace('name = "test"', 'name = "test"\nnmae = "x"'), "nmae"),
        (CODES.replace("retryable = true", "retriable = true"), "retriable"),
        (CODES.replace("leading_status = true", "leading_satus = true"), "leading_satus"),
        (
            CODES
            + '[[patterns]]\ncode = "RateLimitExceeded"\nsubstring = "x"\nignorecase = true\n',
            "ignorecase",
        ),
        (CODES + "[unknown_table]\nx = 1\n", "unknown_table"),
    ],
)
def test_unknown_fields_are_errors(text: str, field: str) -> None:
    assert f"unknown field '{field}'" in error_of(text)


def test_both_substring_and_regex() -> None:
    assert "exactly one of substring or regex" in error_of(
        CODES + '[[patterns]]\ncode = "RateLimitExceeded"\nsubstring = "x"\nregex = "y"\n'
    )


def test_wrong_types() -> None:
    assert "retryable must be true or false" in error_of(
        CODES.replace("retryable = true", 'retryable = "yes"')
    )
    assert "must be an integer" in error_of(CODES.replace("status = 429", 'status = "429"'))


def test_hash_ignores_formatting_but_not_content() -> None:
    base = make_registry()
    reformatted = make_registry(codes="# a comment\n" + CODES.replace(" = ", "="))
    assert reformatted.content_hash == base.content_hash
    changed = make_registry(codes=CODES.replace('version = "1"', 'version = "2"'))
    assert changed.content_hash != base.content_hash
    assert base.stamp() == {"name": "test", "version": "1", "hash": base.content_hash}


def test_missing_registry_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RegistryError) as info:
        load_registry(tmp_path / "nope.toml")
    assert "registry file not found" in info.value.message
