-- name: reclassifications
-- description: Stored -> re-run code pairs that changed, by rows, with the most frequent message as an example.
-- params: limit
WITH cells AS (
  SELECT stored_code, new_code, message, sum(n) AS n
  FROM decided
  WHERE stored_resolved <> new_code
  GROUP BY ALL
)
SELECT
  stored_code AS from_code,
  new_code AS to_code,
  sum(n)::BIGINT AS rows,
  -- the most frequent message, ties to the first in order (NULL last): a minimum, no sort
  arg_min(message, (-n, message IS NULL, message)) AS example
FROM cells
GROUP BY ALL
ORDER BY rows DESC, from_code, to_code
LIMIT $limit
