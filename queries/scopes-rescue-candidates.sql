-- name: scopes-rescue-candidates
-- description: For every turn that died of exhausted credit (stored or re-run), the models of its fallback chain (the tried list, and the configured fallbacks on the same provider), with prices, whether each is free (id ending in `:free`, or both prices explicitly 0), whether Tale's old substring rule called it free, and whether the turn skipped it.
-- params:
CREATE OR REPLACE TABLE rescue_candidates AS
WITH deaths AS (
  SELECT id AS turn, provider AS death_provider, model AS death_model, x_tried,
         stored_scope = 'credit' AS stored_credit
  FROM scoped
  WHERE stored_scope = 'credit' OR rerun_scope = 'credit'
),
tried AS (
  SELECT turn, death_provider, death_model, CAST(x_tried AS JSON[]) AS arr
  FROM deaths WHERE x_tried IS NOT NULL
),
positions AS (
  SELECT turn, death_provider, death_model, arr, unnest(generate_series(1, len(arr))) AS pos
  FROM tried WHERE len(arr) > 0
),
entries AS (
  SELECT
    turn, death_provider, death_model, pos,
    json_type(arr[pos]) = 'VARCHAR' AS is_id,
    CASE WHEN json_type(arr[pos]) = 'VARCHAR' THEN arr[pos] ->> '$'
      ELSE coalesce(arr[pos] ->> 'modelId', arr[pos] ->> 'model', arr[pos] ->> 'id') END AS model,
    lower(coalesce(arr[pos] ->> 'provider', death_provider)) AS provider,
    TRY_CAST(coalesce(arr[pos] ->> 'inputCentsPerMillion', arr[pos] ->> 'input_price',
      arr[pos] ->> 'inputPrice') AS DOUBLE) AS input_price,
    TRY_CAST(coalesce(arr[pos] ->> 'outputCentsPerMillion', arr[pos] ->> 'output_price',
      arr[pos] ->> 'outputPrice') AS DOUBLE) AS output_price,
    coalesce(lower(arr[pos] ->> 'skipped') IN ('true', '1') OR lower(arr[pos] ->> 'outcome') = 'skipped', false) AS marked_skipped,
    (arr[pos] ->> 'code' IS NOT NULL OR arr[pos] ->> 'error' IS NOT NULL
      OR (arr[pos] ->> 'outcome' IS NOT NULL AND lower(arr[pos] ->> 'outcome') <> 'skipped')) AS marked_attempted
  FROM positions
),
placed AS (
  SELECT *,
    max(pos) FILTER (WHERE model = death_model) OVER (PARTITION BY turn) AS death_pos
  FROM entries
),
from_tried AS (
  SELECT turn, provider, model, input_price, output_price,
    -- After a credit death the old rule skipped every later model on the credential.
    marked_skipped OR (NOT marked_attempted AND death_pos IS NOT NULL AND pos > death_pos) AS skipped,
    'tried list' AS listed_in
  FROM placed
  WHERE model IS NOT NULL AND model <> death_model
),
from_config AS (
  SELECT d.turn, f.provider, f.model, f.input_price, f.output_price,
    NOT EXISTS (
      SELECT 1 FROM placed AS p
      WHERE p.turn = d.turn AND p.model = f.model
        AND (p.marked_attempted OR (NOT p.marked_skipped AND (p.death_pos IS NULL OR p.pos <= p.death_pos)))
    ) AS skipped,
    'fallbacks file' AS listed_in
  FROM deaths AS d JOIN fallbacks AS f ON f.provider = d.death_provider
  WHERE f.model <> coalesce(d.death_model, '')
),
candidates AS (
  SELECT turn, provider, model,
    -- The tried list's prices win; the configured ones fill in what it does not say.
    coalesce(first(input_price ORDER BY listed_in DESC) FILTER (WHERE input_price IS NOT NULL), NULL) AS input_price,
    coalesce(first(output_price ORDER BY listed_in DESC) FILTER (WHERE output_price IS NOT NULL), NULL) AS output_price,
    bool_and(skipped) AS skipped,
    string_agg(DISTINCT listed_in, ', ' ORDER BY listed_in) AS listed_in
  FROM (SELECT * FROM from_tried UNION ALL SELECT * FROM from_config)
  GROUP BY turn, provider, model
)
SELECT
  c.turn, d.death_provider AS provider, d.death_model, d.stored_credit, c.model, c.provider AS model_provider,
  c.input_price, c.output_price, c.skipped, c.listed_in,
  ends_with(lower(c.model), ':free') OR coalesce(c.input_price = 0 AND c.output_price = 0, false)
    AS free,
  contains(lower(c.model), ':free') OR coalesce(c.input_price = 0 AND c.output_price = 0, false)
    AS free_by_old_rule,
  c.input_price IS NULL OR c.output_price IS NULL AS price_unknown
FROM candidates AS c JOIN deaths AS d USING (turn)
WHERE c.provider = d.death_provider
