-- name: scopes-shifts
-- description: Turns whose scope changes under the re-run (e.g. a rate limit that is in fact exhausted credit), by stored and re-run code, with the commonest message.
-- params: limit
WITH cells AS (
  SELECT
    coalesce(stored_scope, 'unscoped') AS from_scope, coalesce(rerun_scope, 'unscoped') AS to_scope,
    stored_code AS from_code, new_code AS to_code, message, count(*) AS n
  FROM scoped
  WHERE stored_scope IS DISTINCT FROM rerun_scope
  GROUP BY ALL
)
SELECT
  from_scope, to_scope, from_code, to_code, sum(n)::BIGINT AS turns,
  first(message ORDER BY n DESC, message) AS example
FROM cells
GROUP BY from_scope, to_scope, from_code, to_code
ORDER BY turns DESC, from_code, to_code
LIMIT $limit
