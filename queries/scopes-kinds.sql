-- name: scopes-kinds
-- description: Failed turns per scope kind (credential, credit, endpoint, model, terminal), by the stored code's scope and by the re-run code's, with the commonest re-run code.
-- params:
WITH by_stored AS (
  SELECT coalesce(stored_scope, 'unscoped') AS kind, count(*) AS turns
  FROM scoped GROUP BY 1
),
by_code AS (
  SELECT coalesce(rerun_scope, 'unscoped') AS kind, new_code, count(*) AS code_turns
  FROM scoped GROUP BY 1, 2
),
by_rerun AS (
  SELECT kind, sum(code_turns)::BIGINT AS turns,
         first(new_code ORDER BY code_turns DESC, new_code) AS top_code
  FROM by_code GROUP BY kind
),
kinds AS (SELECT kind FROM by_stored UNION SELECT kind FROM by_rerun)
SELECT
  k.kind AS scope,
  coalesce(s.turns, 0)::BIGINT AS turns_stored,
  coalesce(r.turns, 0)::BIGINT AS turns_rerun,
  r.top_code AS top_code_rerun
FROM kinds AS k
LEFT JOIN by_stored AS s ON s.kind = k.kind
LEFT JOIN by_rerun AS r ON r.kind = k.kind
ORDER BY coalesce(array_position(['credential', 'credit', 'endpoint', 'model', 'terminal'], k.kind), 99), k.kind
