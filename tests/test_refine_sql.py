"""The SQL form of the refinement rules decides exactly like the Python reference."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CODES, make_registry
from errscope.matcher import Matcher
from errscope.refine import refine
from errscope.refine_sql import decisions_sql
from errscope.registry import Registry

WORDS = ["quota", "rate", "limit", "429", "503", "timeout", "key", "boom"]
TARGETS = ["InsufficientQuota", "RateLimitExceeded", "ProviderNetworkError", "ProviderBizError",
           "InvalidProviderAPIKey", "UpstreamHttpError"]
STORED = ["ProviderBizError", "AgentRuntimeError", "UpstreamHttpError", "500", "RateLimitExceeded",
          "QuotaLimitReached", "pg_23505", None]
PROVIDERS = ["openai", "OpenAI", "ollama", None]


@st.composite
def registries(draw: st.DrawFn) -> Registry:
    text = ""
    for _ in range(draw(st.integers(0, 6))):
        word = draw(st.sampled_from(WORDS))
        text += f'\n[[patterns]]\ncode = "{draw(st.sampled_from(TARGETS))}"\nsubstring = "{word}"\n'
        if draw(st.booleans()):
            text += "ignore_case = true\n"
        if draw(st.integers(0, 3)) == 0:
            text += f'providers = ["{draw(st.sampled_from(["openai", "ollama"]))}"]\n'
        if draw(st.integers(0, 3)) == 0:
            chosen = draw(st.sampled_from(["ProviderBizError", "500", "QuotaLimitReached", "RateLimitExceeded"]))
            text += f'stored_codes = ["{chosen}"]\n'
    codes = CODES
    if draw(st.booleans()):
        codes = codes.replace("leading_status = true", "leading_status = false")
    if draw(st.booleans()):
        codes = codes.replace('status_refinable = ["ProviderBizError"]',
                              'status_refinable = ["ProviderBizError", "AgentRuntimeError"]')
    return make_registry(text, codes=codes)


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(STORED),
        st.one_of(st.none(), st.lists(st.sampled_from(WORDS + ["QUOTA", "Rate"]), max_size=4).map(" ".join)),
        st.one_of(st.none(), st.sampled_from([399, 400, 402, 429, 499, 500, 599, 600])),
        st.sampled_from(PROVIDERS),
    ),
    min_size=1, max_size=25,
)


def sql_decide(registry: Registry, rows: list[tuple], full: bool) -> list[tuple]:  # type: ignore[type-arg]
    matcher = Matcher(registry.patterns)
    table = pa.table({
        "k": list(range(len(rows))),
        "type": pa.array([r[0] for r in rows], pa.string()),
        "message": pa.array([r[1] for r in rows], pa.string()),
        "status": pa.array([r[2] for r in rows], pa.int32()),
        "provider": pa.array([r[3] for r in rows], pa.string()),
        "matches": pa.array([matcher.matches(r[1] or "") for r in rows], pa.list_(pa.int16())),
    })
    con = duckdb.connect()
    con.register("t", table)
    got = con.execute(decisions_sql(registry, "t", ["k"], full_rerun=full) + " ORDER BY k").fetchall()
    return [(g[2], g[3], g[4], g[5]) for g in got]


@settings(max_examples=120, deadline=None)
@given(registries(), rows_strategy, st.booleans())
def test_sql_equals_python(registry: Registry, rows: list[tuple], full: bool) -> None:  # type: ignore[type-arg]
    matcher = Matcher(registry.patterns)
    expected = []
    for stored, message, status, provider in rows:
        d = refine(registry, matcher.matches(message or ""), stored, message, status, provider,
                   full_rerun=full)
        expected.append((d.code, d.step, d.pattern.position if d.pattern else None, d.status))
    assert sql_decide(registry, rows, full) == expected
