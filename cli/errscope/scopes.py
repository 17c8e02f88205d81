"""`scopes`: Tale-style failure scopes (what a failure retires) and the free-model rescue.

Each code's scope comes from the registry (`scope = "credential" | "credit" | "endpoint" |
"model" | "terminal"`, the `tale` registry sets them all). The rescue analysis counts the turns
that died of exhausted credit while their fallback chain held a free model that the old rule
skipped (DOMAIN.md section 6): the turns Tale's newer rule would have saved.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from errscope import __version__, queries
from errscope.analysis import inputs_meta, profile_line, truncate
from errscope.errors import InputError, UsageError
from errscope.loader import LoadOptions, Progress, connect, load
from errscope.match_cache import prepare
from errscope.registry import SCOPES, Registry
from errscope.report import Report, Section, percent, share
from errscope.rerun import rerun

# What each scope kind retires in a fallback loop.
SCOPE_MEANING = {
    "credential": "the key: every model on it is skipped",
    "credit": "the account's funds: paid models on the key are skipped, free ones still answer",
    "endpoint": "the host: every model on it is skipped",
    "model": "only this model: the next one is tried",
    "terminal": "the turn: no other model helps",
    "unscoped": "the code has no scope in this registry",
}
_EXTRAS = ("x_tried", "x_key_fp", "x_base_url")
_INPUT_PRICE = ("input_price", "inputCentsPerMillion", "inputPrice")
_OUTPUT_PRICE = ("output_price", "outputCentsPerMillion", "outputPrice")
_FALLBACKS_SCHEMA = pa.schema(
    [
        ("provider", pa.string()),
        ("model", pa.string()),
        ("input_price", pa.float64()),
        ("output_price", pa.float64()),
    ]
)


def scopes(
    specs: Sequence[str],
    registry: Registry,
    load_options: LoadOptions | None = None,
    fallbacks: str | Path | None = None,
    limit: int = 25,
    progress: Progress | None = None,
) -> Report:
    """Failures by scope kind, the scope keys they retire, scope shifts and the rescue."""
    if not any(spec.scope for spec in registry.codes.values()):
        raise UsageError(
            f"registry {registry.name} gives no code a scope",
            hint='use --registry tale, or add scope = "credential|credit|endpoint|model|terminal"',
        )
    configured = read_fallbacks(fallbacks) if fallbacks is not None else _empty_fallbacks()
    con = connect()
    try:
        prepare(registry)
        loaded = load(con, specs, load_options, progress=progress, keep_message_for=None)
        rerun(con, registry, progress=progress)
        _scoped_view(con)
        con.register("fallbacks_arrow", configured)
        con.execute("CREATE OR REPLACE TABLE fallbacks AS SELECT * FROM fallbacks_arrow")
        con.unregister("fallbacks_arrow")
        queries.execute(con, "scopes-rescue-candidates")
        report = _report(con, registry, limit, configured.num_rows)
        report.headline[1:1] = profile_line(loaded)
        report.meta["inputs"] = inputs_meta(loaded)
        return report
    finally:
        con.close()


def _scoped_view(con: duckdb.DuckDBPyConnection) -> None:
    """`scoped`: classified rows with both codes' scopes and the profile's scope fields (NULL
    for inputs whose profile has none)."""
    columns = {r[0] for r in con.execute("DESCRIBE classified").fetchall()}
    nulls = "".join(f", NULL::VARCHAR AS {x}" for x in _EXTRAS if x not in columns)
    con.execute(
        f"CREATE OR REPLACE VIEW scoped AS SELECT k.*{nulls}, st.scope AS stored_scope, "
        "nw.scope AS rerun_scope FROM classified AS k "
        "LEFT JOIN codes AS st ON st.name = k.stored_code "
        "LEFT JOIN codes AS nw ON nw.name = k.new_code"
    )


def _empty_fallbacks() -> pa.Table:
    return pa.Table.from_pylist([], schema=_FALLBACKS_SCHEMA)


def read_fallbacks(path: str | Path) -> pa.Table:
    """Configured fallback models: JSON (a list, or {"models": [...]}), JSON Lines or CSV with
    provider, model (or modelId) and prices (input_price/output_price, or Tale's
    inputCentsPerMillion/outputCentsPerMillion). An empty price is unknown, never free."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read --fallbacks {file}: {exc}") from exc
    records: list[dict[str, Any]]
    try:
        if file.suffix.lower() == ".csv":
            records = list(csv.DictReader(text.splitlines()))
        elif file.suffix.lower() in (".jsonl", ".ndjson"):
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            records = doc.get("models", []) if isinstance(doc, dict) else doc
    except (json.JSONDecodeError, csv.Error) as exc:
        raise InputError(
            f"--fallbacks {file}: not valid {file.suffix.lstrip('.') or 'JSON'}: {exc}",
            hint="a list of {provider, model, input_price, output_price}",
        ) from exc
    rows = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(f"--fallbacks {file}: entry {number} is not an object")
        model = record.get("model") or record.get("modelId") or record.get("id")
        provider = record.get("provider")
        if not model or not provider:
            raise InputError(
                f"--fallbacks {file}: entry {number} needs provider and model",
                hint='e.g. {"provider": "openrouter", "model": "x:free", ...}',
            )
        rows.append(
            {
                "provider": str(provider).strip().lower(),
                "model": str(model).strip(),
                "input_price": _price(
                    record, ("input_price", "inputCentsPerMillion", "inputPrice"), file, number
                ),
                "output_price": _price(
                    record, ("output_price", "outputCentsPerMillion", "outputPrice"), file, number
                ),
            }
        )
    return pa.Table.from_pylist(rows, schema=_FALLBACKS_SCHEMA)


def _price(record: dict[str, Any], keys: tuple[str, ...], file: Path, number: int) -> float | None:
    for key in keys:
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"--fallbacks {file}: entry {number}: {key}={value!r} is not a number"
            ) from exc
    return None


def _report(
    con: duckdb.DuckDBPyConnection, registry: Registry, limit: int, configured: int
) -> Report:
    kinds = queries.records(con, "scopes-kinds")
    total = sum(r["turns_rerun"] for r in kinds)
    for row in kinds:
        row["share_rerun"] = share(row["turns_rerun"], total)
        row["retires"] = SCOPE_MEANING.get(row["scope"], "")
    keys = queries.records(con, "scopes-keys", limit=limit)
    shifts = queries.records(con, "scopes-shifts", limit=limit)
    for row in shifts:
        row["example"] = truncate(row["example"])
    rescue = queries.records(con, "scopes-rescue")
    deaths = sum(r["credit_deaths"] for r in rescue)
    saved = sum(r["turns_saved"] for r in rescue)
    missed = sum(r["credit_deaths_missed"] for r in rescue)
    misread = con.execute(
        "SELECT count(DISTINCT model) FROM rescue_candidates WHERE free_by_old_rule AND NOT free"
    ).fetchall()[0][0]
    meta = {
        "errscope_version": __version__,
        "registry": registry.stamp(),
        "turns": total,
        "scopes": list(SCOPES),
        "credit_deaths": deaths,
        "turns_saved_by_free_models": saved,
        "credit_deaths_missed_by_stored_codes": missed,
        "ids_misread_as_free_by_substring_rule": int(misread),
        "configured_fallbacks": configured,
    }
    headline = [
        f"registry {registry.name} {registry.version} ({registry.short_hash})",
        f"failed turns: {total}; "
        + ", ".join(f"{r['scope']} {r['turns_rerun']}" for r in kinds if r["turns_rerun"]),
        f"credit deaths (stored): {deaths}; the newer rule (free models survive exhausted credit) "
        f"would have saved {saved} ({percent(share(saved, deaths))})",
        f"stored under another kind but exhausted credit by this registry: {missed} turns",
    ]
    sections = [
        Section(
            "kinds",
            "Failed turns by scope kind (stored code vs re-run code)",
            ["scope", "turns_stored", "turns_rerun", "share_rerun", "top_code_rerun", "retires"],
            kinds,
        ),
        Section(
            "keys",
            "Scopes retired (Tale's key shapes; keys only as fingerprints)",
            ["scope_key", "kind", "turns", "models", "top_code", "first_ts", "last_ts"],
            keys,
        ),
        Section(
            "shifts",
            "Turns whose scope changes under the re-run",
            ["from_scope", "to_scope", "from_code", "to_code", "turns", "example"],
            shifts,
        ),
        Section(
            "rescue",
            "Free-model rescue after exhausted credit, per provider",
            [
                "provider",
                "credit_deaths",
                "turns_saved",
                "free_models",
                "example_free_model",
                "credit_deaths_missed",
                "misread_as_free",
                "example_misread",
                "unknown_price_models",
            ],
            rescue,
            note=(
                "free = id ends with ':free', or both prices explicitly 0 (unknown prices are "
                "not free); saved = a free model on the same provider was skipped after the "
                "credit death (listed after it, marked skipped, or configured and never tried)"
            ),
        ),
    ]
    return Report("scopes", meta, headline, sections)
