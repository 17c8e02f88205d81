-- name: scopes-rescue
-- description: Per provider: turns that died of exhausted credit, how many had a free model in their chain that the old rule skipped (the turns the newer rule would have saved), which free models, and the ids Tale's old substring rule took for free by mistake.
-- params:
WITH deaths AS (
  SELECT provider, count(*) FILTER (WHERE stored_scope = 'credit') AS credit_deaths,
         count(*) FILTER (WHERE rerun_scope = 'credit' AND stored_scope IS DISTINCT FROM 'credit') AS credit_deaths_missed
  FROM scoped
  WHERE stored_scope = 'credit' OR rerun_scope = 'credit'
  GROUP BY provider
),
saved AS (
  SELECT provider,
    count(DISTINCT turn) FILTER (WHERE stored_credit AND free AND skipped) AS turns_saved,
    count(DISTINCT model) FILTER (WHERE stored_credit AND free AND skipped) AS free_models,
    min(model) FILTER (WHERE stored_credit AND free AND skipped) AS example_free_model,
    count(DISTINCT model) FILTER (WHERE free_by_old_rule AND NOT free) AS misread_as_free,
    min(model) FILTER (WHERE free_by_old_rule AND NOT free) AS example_misread,
    count(DISTINCT model) FILTER (WHERE skipped AND price_unknown AND NOT free) AS unknown_price_models
  FROM rescue_candidates
  GROUP BY provider
)
SELECT
  d.provider, d.credit_deaths::BIGINT AS credit_deaths, coalesce(s.turns_saved, 0)::BIGINT AS turns_saved,
  coalesce(s.free_models, 0)::BIGINT AS free_models, s.example_free_model,
  d.credit_deaths_missed::BIGINT AS credit_deaths_missed,
  coalesce(s.misread_as_free, 0)::BIGINT AS misread_as_free, s.example_misread,
  coalesce(s.unknown_price_models, 0)::BIGINT AS unknown_price_models
FROM deaths AS d LEFT JOIN saved AS s USING (provider)
ORDER BY credit_deaths DESC, d.provider NULLS LAST
