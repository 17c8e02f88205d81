-- name: sources-attribution
-- description: Who failed, per key source: a BYOK user's own key or account, the platform's key or account, the provider (an incident), or the harness/platform: BYOK users' own failures apart from platform-side incidents.
-- params:
WITH per_source AS (
  SELECT source, count(*) AS source_rows FROM classified GROUP BY ALL
),
cells AS (
  SELECT
    source,
    CASE
      WHEN new_attribution = 'user' AND source = 'byok' THEN 'user''s own key or account'
      WHEN new_attribution = 'user' AND source = 'platform' THEN 'platform key or account'
      WHEN new_attribution = 'user' THEN 'key or account (owner unknown)'
      WHEN new_attribution = 'provider' THEN 'provider incident'
      WHEN new_attribution IN ('harness', 'system') THEN 'harness or platform'
      ELSE 'unattributed'
    END AS failure_of,
    new_code, count(*) AS n, count(DISTINCT provider) AS providers,
    min(ts) AS first_ts, max(ts) AS last_ts
  FROM classified
  GROUP BY ALL
)
SELECT
  c.source, c.failure_of, sum(c.n)::BIGINT AS rows,
  any_value(p.source_rows) AS source_rows,
  first(c.new_code ORDER BY c.n DESC, c.new_code) AS top_code,
  min(c.first_ts) AS first_ts, max(c.last_ts) AS last_ts
FROM cells AS c JOIN per_source AS p USING (source)
GROUP BY c.source, c.failure_of
ORDER BY c.source, rows DESC, c.failure_of
