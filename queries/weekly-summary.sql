-- name: weekly-summary
-- description: Per ISO week: rows, fallback rows stored and re-run, the codes the re-run gains most rows in, and the most frequent messages still in a fallback code.
-- params: top
WITH base AS (
  SELECT date_trunc('week', ts) AS week_start, stored_resolved, new_code, stored_fallback,
         new_fallback, message
  FROM classified
  WHERE ts IS NOT NULL
), totals AS (
  SELECT week_start, count(*) AS rows,
         count(*) FILTER (WHERE stored_fallback) AS fallback_rows_stored,
         count(*) FILTER (WHERE new_fallback) AS fallback_rows_rerun
  FROM base GROUP BY ALL
), gains AS (
  SELECT week_start, code, sum(delta) AS gained FROM (
    SELECT week_start, new_code AS code, 1 AS delta FROM base
    UNION ALL
    SELECT week_start, stored_resolved, -1 FROM base
  ) GROUP BY ALL HAVING sum(delta) > 0
), top_gains AS (
  SELECT week_start,
         string_agg(code || ' (+' || gained || ')', '; ' ORDER BY gained DESC, code) AS top_new_codes
  FROM (SELECT *, row_number() OVER (PARTITION BY week_start ORDER BY gained DESC, code) AS k
        FROM gains)
  WHERE k <= $top
  GROUP BY ALL
), residual AS (
  SELECT week_start, message, count(*) AS n FROM base WHERE new_fallback GROUP BY ALL
), top_residual AS (
  SELECT week_start,
         list(message ORDER BY n DESC, message) AS messages,
         list(n ORDER BY n DESC, message) AS counts
  FROM (SELECT *, row_number() OVER (PARTITION BY week_start ORDER BY n DESC, message) AS k
        FROM residual)
  WHERE k <= $top
  GROUP BY ALL
)
SELECT
  strftime(t.week_start, '%G-W%V') AS week,
  t.week_start, t.rows, t.fallback_rows_stored, t.fallback_rows_rerun,
  g.top_new_codes, r.messages AS top_residual_messages, r.counts AS top_residual_counts
FROM totals AS t
LEFT JOIN top_gains AS g USING (week_start)
LEFT JOIN top_residual AS r USING (week_start)
ORDER BY t.week_start
