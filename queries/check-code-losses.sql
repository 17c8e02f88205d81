-- name: check-code-losses
-- description: Per code of the baseline registry, the rows it had on this dump and how many the current registry sends to a fallback code instead.
-- params:
SELECT
  from_resolved AS code,
  sum(n)::BIGINT AS rows_before,
  coalesce(sum(n) FILTER (WHERE to_fallback), 0)::BIGINT AS rows_lost,
  list(DISTINCT to_code ORDER BY to_code) FILTER (WHERE to_fallback) AS to_codes
FROM pairs
WHERE NOT from_fallback
GROUP BY from_resolved
HAVING coalesce(sum(n) FILTER (WHERE to_fallback), 0) > 0
ORDER BY rows_lost DESC, code
