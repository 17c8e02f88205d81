-- name: weekly-cells
-- description: Per ISO week (Monday start, UTC) and (source, provider, model, code): rows stored and re-run, share of the week's rows, first/last seen and days seen within the week, and the change in re-run rows from the previous week.
-- params:
WITH base AS (
  SELECT date_trunc('week', ts) AS week_start, ts, source, provider, model,
         stored_resolved, new_code
  FROM classified
  WHERE ts IS NOT NULL
), totals AS (
  SELECT week_start, count(*) AS week_rows FROM base GROUP BY ALL
), stored AS (
  SELECT week_start, source, provider, model, stored_resolved AS code, count(*) AS rows_stored
  FROM base GROUP BY ALL
), rerun AS (
  SELECT week_start, source, provider, model, new_code AS code, count(*) AS rows_rerun,
         min(ts) AS first_seen, max(ts) AS last_seen, count(DISTINCT CAST(ts AS DATE)) AS days_seen
  FROM base GROUP BY ALL
), cells AS (
  SELECT
    coalesce(r.week_start, s.week_start) AS week_start,
    coalesce(r.source, s.source) AS source,
    coalesce(r.provider, s.provider) AS provider,
    coalesce(r.model, s.model) AS model,
    coalesce(r.code, s.code) AS code,
    coalesce(s.rows_stored, 0) AS rows_stored,
    coalesce(r.rows_rerun, 0) AS rows_rerun,
    r.first_seen, r.last_seen, coalesce(r.days_seen, 0) AS days_seen
  FROM rerun AS r
  FULL OUTER JOIN stored AS s
    ON r.week_start = s.week_start
   AND r.source IS NOT DISTINCT FROM s.source
   AND r.provider IS NOT DISTINCT FROM s.provider
   AND r.model IS NOT DISTINCT FROM s.model
   AND r.code = s.code
)
SELECT
  strftime(c.week_start, '%G-W%V') AS week,
  c.week_start,
  c.source, c.provider, c.model, c.code,
  k.numeric_id, k.category, k.fallback,
  c.rows_stored, c.rows_rerun,
  t.week_rows,
  c.first_seen, c.last_seen, c.days_seen,
  c.rows_rerun - coalesce(p.rows_rerun, 0) AS rerun_change_wow
FROM cells AS c
JOIN totals AS t USING (week_start)
LEFT JOIN codes AS k ON k.name = c.code
LEFT JOIN rerun AS p
  ON p.week_start = c.week_start - INTERVAL 7 DAY
 AND p.source IS NOT DISTINCT FROM c.source
 AND p.provider IS NOT DISTINCT FROM c.provider
 AND p.model IS NOT DISTINCT FROM c.model
 AND p.code = c.code
ORDER BY c.week_start, c.source NULLS LAST, c.provider NULLS LAST, c.model NULLS LAST, c.code
