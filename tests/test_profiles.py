"""Input profiles (omi, tale, litellm): recognition, parsing, accounting, scopes and the rescue."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from conftest import ROOT, lobehub_row, write_jsonl
from errscope.errors import UsageError
from errscope.loader import LoadOptions, connect, load
from errscope.profiles import all_profiles, get_profile
from errscope.registry import SCOPES, load_registry

FIXTURES = ROOT / "fixtures"


def _load(path: Path, profile: str | None = None) -> tuple[object, list[tuple]]:
    con = connect()
    options = LoadOptions(profile=get_profile(profile)) if profile else None
    report = load(con, [str(path)], options)
    rows = con.execute(
        "SELECT id, type, message, status, provider, model, feature, source, user_id, reason "
        "FROM rows ORDER BY id"
    ).fetchall()
    return report, rows


@pytest.mark.parametrize(
    ("fixture", "profile"),
    [
        ("omi-logs.jsonl", "omi"),
        ("tale-messages.jsonl", "tale"),
        ("litellm-errorlogs.parquet", "litellm"),
        ("sample-dump.jsonl.gz", "lobehub"),
        ("sample-dump.parquet", "lobehub"),
    ],
)
def test_each_fixture_is_recognised_and_every_row_accounted(fixture: str, profile: str) -> None:
    report, _ = _load(FIXTURES / fixture)
    assert report.profile == profile  # type: ignore[attr-defined]
    assert report.profile_detected  # type: ignore[attr-defined]
    assert report.rows_read == sum(report.dispositions.values())  # type: ignore[attr-defined]
    assert report.rows_analysed > 0  # type: ignore[attr-defined]


def test_ambiguous_input_is_a_usage_error(tmp_path: Path) -> None:
    rows = [
        lobehub_row(1, "ProviderBizError", "boom"),
        {"textPayload": "LLM error source=byok provider=openai error=boom"},
    ]
    dump = write_jsonl(tmp_path / "mixed.jsonl", rows)
    with pytest.raises(UsageError, match="looks like both lobehub and omi"):
        _load(dump)


OMI_LINE = (
    "LLM error source=byok provider=openai feature=chat app model=gpt 4o mini "
    "operation=chat uid=u-1 status_code=429 reason=quota error_type=openai.RateLimitError "
    "error=Error code: 429 - {'error': {'message': 'a=b c=d reason=x error=y', "
    "'type': 'insufficient_quota'}}\nsecond line"
)


def test_omi_line_keeps_spaces_equals_and_newlines(tmp_path: Path) -> None:
    rows = [
        {"insertId": "1", "timestamp": "2026-11-02T10:00:00Z", "textPayload": OMI_LINE},
        {"insertId": "2", "jsonPayload": {"message": "prefix: " + OMI_LINE.replace("u-1", "None")}},
        {
            "insertId": "3",
            "jsonPayload": {
                "source": "platform",
                "provider": "anthropic",
                "status_code": 400,
                "reason": "unknown",
                "error_type": "BadRequestError",
                "error": "Your credit balance is too low to access the Anthropic API.",
            },
        },
        {"insertId": "4", "textPayload": "LLM error source=byok provider=openai"},
        {"insertId": "5", "textPayload": "GET /healthz 200"},
    ]
    report, found = _load(write_jsonl(tmp_path / "omi.jsonl", rows))
    assert report.dispositions == {  # type: ignore[attr-defined]
        "analysed": 3,
        "unparseable Omi log line": 1,
        "not an Omi LLM error record": 1,
    }
    first = found[0]
    assert first[1:] == (
        "RateLimitError",
        "Error code: 429 - {'error': {'message': 'a=b c=d reason=x error=y', "
        "'type': 'insufficient_quota'}}\nsecond line",
        429,
        "openai",
        "gpt 4o mini",
        "chat app",
        "byok",
        "u-1",
        "quota",
    )
    assert found[1][8] is None  # uid=None is missing, not the text "None"
    assert found[2][1:5] == (
        "BadRequestError",
        "Your credit balance is too low to access the Anthropic API.",
        400,
        "anthropic",
    )


def test_omi_sources_show_unknown_reasons_that_are_credit(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("sources", str(FIXTURES / "omi-logs.jsonl"), "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    hidden = doc["hidden_quota"]
    assert hidden and {r["code"] for r in hidden} <= {"InsufficientQuota", "FreePlanLimit"}
    assert {r["provider"] for r in hidden} >= {"anthropic", "openrouter"}
    assert doc["hidden_quota_rows"] == sum(r["rows"] for r in hidden)
    kinds = {(r["source"], r["failure_of"]) for r in doc["attribution"]}
    assert ("byok", "user's own key or account") in kinds
    assert ("platform", "platform key or account") in kinds
    assert ("platform", "provider incident") in kinds


def _envelope(payload: dict[str, object], message: str) -> str:
    head = urllib.parse.quote(json.dumps(payload), safe="")
    return f"TALE_ERR1 {head}\n{message}"


def test_tale_envelopes_malformed_are_counted_and_keys_fingerprinted(tmp_path: Path) -> None:
    secret = "sk-or-v1-0123456789abcdef0123456789abcdef"
    rows = [
        {
            "_id": "a",
            "content": _envelope(
                {
                    "code": "credit_exhausted",
                    "provider": "openrouter",
                    "model": "m",
                    "tried": [],
                    "key": secret,
                    "baseUrl": "https://u:pw@openrouter.ai/api/v1?k=1",
                },
                "Insufficient credits\nline two",
            ),
        },
        {"_id": "b", "content": "TALE_ERR1 %7Bnot json\nmsg"},
        {"_id": "c", "content": "TALE_ERR1 no newline at all"},
        {"_id": "d", "content": _envelope({"provider": "x"}, "no code")},
        {"_id": "e", "content": "an ordinary answer"},
    ]
    con = connect()
    report = load(con, [str(write_jsonl(tmp_path / "tale.jsonl", rows))])
    assert report.profile == "tale"
    assert report.dispositions == {
        "analysed": 1,
        "malformed Tale envelope": 3,
        "not a Tale failed-turn envelope": 1,
    }
    found = con.execute("SELECT type, message, x_key_fp, x_base_url FROM rows").fetchall()
    assert found[0][:2] == ("credit_exhausted", "Insufficient credits\nline two")
    assert found[0][2].startswith("k-") and secret not in found[0][2]
    assert found[0][3] == "https://openrouter.ai/api/v1"


def test_raw_keys_never_reach_any_output(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = (FIXTURES / "tale-messages.jsonl").read_text("utf-8").splitlines()
    secrets = set()
    for line in lines:
        content = json.loads(line).get("content", "")
        if content.startswith("TALE_ERR1 ") and "\n" in content:
            head = urllib.parse.unquote(content[10 : content.index("\n")])
            try:
                key = json.loads(head).get("key")
            except (json.JSONDecodeError, AttributeError):
                continue
            if key:
                secrets.add(key)
    assert len(secrets) >= 3
    for fmt in ("table", "json", "csv", "markdown", "jsonl"):
        run = cli("scopes", str(FIXTURES / "tale-messages.jsonl"), "--format", fmt)
        assert run.code == 0, run.err
        for secret in secrets:
            assert secret not in run.out and secret not in run.err
            assert secret[-12:] not in run.out


@pytest.mark.parametrize(
    ("model", "prices", "free", "old_rule"),
    [
        ("meta-llama/llama-3.3-70b-instruct:free", (None, None), True, True),
        ("vendor/model:FREE", (None, None), True, True),
        ("vendor/model:freedom", (None, None), False, True),
        ("local/llama", (0, 0), True, True),
        ("paid/model", (0, 5), False, False),
        ("unknown/prices", (None, None), False, False),
        ("half/known", (0, None), False, False),
    ],
)
def test_free_model_rule(
    tmp_path: Path, model: str, prices: tuple[object, object], free: bool, old_rule: bool
) -> None:
    """A model is free when its id ends with :free or both prices are explicitly 0."""
    entry = {"model": model, "skipped": True}
    if prices[0] is not None:
        entry["input_price"] = prices[0]
    if prices[1] is not None:
        entry["output_price"] = prices[1]
    rows = [
        {
            "_id": "t1",
            "content": _envelope(
                {
                    "code": "credit_exhausted",
                    "provider": "openrouter",
                    "model": "paid/a",
                    "tried": ["paid/a", entry],
                },
                "Insufficient credits. Add more using https://openrouter.ai/credits",
            ),
        }
    ]
    from errscope.scopes import scopes

    report = scopes([str(write_jsonl(tmp_path / "t.jsonl", rows))], load_registry("tale"))
    rescue = next(s for s in report.sections if s.name == "rescue").rows
    assert rescue[0]["turns_saved"] == (1 if free else 0)
    assert rescue[0]["misread_as_free"] == (1 if old_rule and not free else 0)


def test_rescue_counts_only_models_skipped_after_the_credit_death(tmp_path: Path) -> None:
    from errscope.scopes import scopes

    message = "This request requires more credits, or fewer max_tokens. can only afford 100"
    rows = [
        # the free model came before the death: it was tried (and failed), no rescue
        {
            "_id": "1",
            "content": _envelope(
                {
                    "code": "credit_exhausted",
                    "provider": "openrouter",
                    "model": "paid/b",
                    "tried": ["x:free", "paid/b"],
                },
                message,
            ),
        },
        # the free model came after the death: the old rule skipped it
        {
            "_id": "2",
            "content": _envelope(
                {
                    "code": "credit_exhausted",
                    "provider": "openrouter",
                    "model": "paid/b",
                    "tried": ["paid/b", "x:free"],
                },
                message,
            ),
        },
        # an auth death retires free models too: not a credit death, no rescue
        {
            "_id": "3",
            "content": _envelope(
                {
                    "code": "auth_error",
                    "provider": "openrouter",
                    "model": "paid/b",
                    "tried": ["paid/b", "x:free"],
                },
                "401 Invalid API key",
            ),
        },
    ]
    report = scopes([str(write_jsonl(tmp_path / "t.jsonl", rows))], load_registry("tale"))
    rescue = next(s for s in report.sections if s.name == "rescue").rows
    assert rescue == [
        {
            "provider": "openrouter",
            "credit_deaths": 2,
            "turns_saved": 1,
            "free_models": 1,
            "example_free_model": "x:free",
            "credit_deaths_missed": 0,
            "misread_as_free": 0,
            "example_misread": None,
            "unknown_price_models": 0,
        }
    ]


def test_fallbacks_file_adds_configured_models(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {
            "_id": "1",
            "content": _envelope(
                {
                    "code": "credit_exhausted",
                    "provider": "openrouter",
                    "model": "paid/b",
                    "tried": ["paid/b"],
                },
                "Insufficient credits",
            ),
        }
    ]
    dump = write_jsonl(tmp_path / "t.jsonl", rows)
    config = tmp_path / "fallbacks.csv"
    config.write_text(
        "provider,model,input_price,output_price\nopenrouter,zero/priced,0,0\n"
        "openrouter,unknown/priced,,\nopenai,gpt-free,0,0\n"
    )
    run = cli("scopes", str(dump), "--fallbacks", str(config), "--format", "json")
    assert run.code == 0, run.err
    rescue = json.loads(run.out)["rescue"][0]
    assert (rescue["turns_saved"], rescue["example_free_model"]) == (1, "zero/priced")
    assert rescue["unknown_price_models"] == 1
    bad = tmp_path / "bad.json"
    bad.write_text('[{"provider": "x"}]')
    run = cli("scopes", str(dump), "--fallbacks", str(bad))
    assert run.code == 3 and run.out == ""
    assert run.err.startswith("errscope: error: --fallbacks") and "Traceback" not in run.err


def test_tale_registry_closes_known_gaps_and_declares_scopes() -> None:
    from errscope.refine import Refiner

    registry = load_registry("tale")
    assert all(spec.scope in SCOPES for spec in registry.codes.values())
    refiner = Refiner(registry, full_rerun=True)
    cases = {
        "429 You exceeded your current quota, please check your plan and billing details. "
        "insufficient_quota": "credit_exhausted",
        "Key limit exceeded (monthly limit). Manage it using https://openrouter.ai/settings/keys": "credit_exhausted",
        '400 {"type":"error","error":{"type":"invalid_request_error","message":"Your credit '
        'balance is too low to access the Anthropic API."}}': "credit_exhausted",
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header": "missing_api_key",
        "TypeError: fetch failed [cause]: Error: getaddrinfo ENOTFOUND api.example.com": "provider_unreachable",
        "Error: read ECONNRESET": "provider_error",
        "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens": "output_cap_too_high",
    }
    for message, code in cases.items():
        assert refiner.decide("generic", message).code == code, message


def test_tale_registry_is_what_its_build_script_makes() -> None:
    script = FIXTURES / "registries" / "build_tale_registry.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_profiles_command_and_unknown_profile(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("profiles")
    assert run.code == 0
    for profile in all_profiles():
        assert profile.name in run.out
    run = cli("analyze", str(FIXTURES / "omi-logs.jsonl"), "--profile", "nope")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("errscope: error: unknown profile 'nope'")
    assert "hint: profiles: lobehub" in run.err


def test_explicit_profile_wins_and_profile_fields_can_be_remapped(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [{"ts": "2026-11-02T10:00:00Z", "payload": OMI_LINE}]
    dump = write_jsonl(tmp_path / "custom.jsonl", rows)
    run = cli("analyze", str(dump), "--profile", "omi", "--map", "line=payload", "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["inputs"]["profile"] == "omi"
    assert doc["inputs"]["rows_analysed"] == 1
    run = cli("analyze", str(dump), "--profile", "omi", "--map", "nofield=x")
    assert run.code == 2 and "profile omi has no field 'nofield'" in run.err


def test_litellm_provider_comes_from_the_model_name_or_the_exception(tmp_path: Path) -> None:
    rows = [
        {
            "request_id": "1",
            "litellm_model_name": "anthropic/claude",
            "exception_type": "RateLimitError",
            "exception_string": "litellm.RateLimitError: AnthropicException - slow down",
            "status_code": "429",
        },
        {
            "request_id": "2",
            "model_group": "g",
            "exception_type": "litellm.APIConnectionError",
            "exception_string": "litellm.APIConnectionError: VertexAIException - boom",
            "status_code": "",
        },
    ]
    _, found = _load(write_jsonl(tmp_path / "ll.jsonl", rows))
    assert [(r[1], r[3], r[4]) for r in found] == [
        ("RateLimitError", 429, "anthropic"),
        ("APIConnectionError", None, "vertexai"),
    ]
