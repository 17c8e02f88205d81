-- name: diff-flips
-- description: Rows whose retryable or count_as_failure flag flips, by direction and cell.
-- params: limit
SELECT flag, direction, from_code, to_code, rows FROM (
  SELECT 'retryable' AS flag,
         CASE WHEN to_retryable THEN 'becomes' ELSE 'stops' END AS direction,
         from_code, to_code, sum(n)::BIGINT AS rows
  FROM pairs
  WHERE from_retryable <> to_retryable
  GROUP BY ALL
  UNION ALL
  SELECT 'count_as_failure',
         CASE WHEN to_count_as_failure THEN 'becomes' ELSE 'stops' END,
         from_code, to_code, sum(n)::BIGINT
  FROM pairs
  WHERE from_count_as_failure <> to_count_as_failure
  GROUP BY ALL
)
ORDER BY flag DESC, rows DESC, direction, from_code, to_code
LIMIT $limit
