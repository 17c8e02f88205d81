-- name: scopes-keys
-- description: The scopes the re-run failures retire, in Tale's key shapes (cred:<provider>:<key fingerprint>, credit:<provider>:<key fingerprint>, host:<provider>:<base URL>), with turns, models and time span.
-- params: limit
WITH keyed AS (
  SELECT
    CASE rerun_scope
      WHEN 'credential' THEN 'cred:' || coalesce(provider, '?') || ':' || coalesce(x_key_fp, 'key-unknown')
      WHEN 'credit' THEN 'credit:' || coalesce(provider, '?') || ':' || coalesce(x_key_fp, 'key-unknown')
      WHEN 'endpoint' THEN 'host:' || coalesce(provider, '?') || ':' || coalesce(x_base_url, 'default')
    END AS scope_key,
    rerun_scope AS kind, new_code, model, ts
  FROM scoped
  WHERE rerun_scope IN ('credential', 'credit', 'endpoint')
),
cells AS (
  SELECT scope_key, kind, new_code, count(*) AS n FROM keyed GROUP BY ALL
)
SELECT
  k.scope_key, k.kind, count(*) AS turns, count(DISTINCT k.model) AS models,
  (SELECT first(c.new_code ORDER BY c.n DESC, c.new_code) FROM cells AS c
    WHERE c.scope_key = k.scope_key) AS top_code,
  min(k.ts) AS first_ts, max(k.ts) AS last_ts
FROM keyed AS k
GROUP BY k.scope_key, k.kind
ORDER BY turns DESC, k.scope_key
LIMIT $limit
