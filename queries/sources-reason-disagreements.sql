-- name: sources-reason-disagreements
-- description: Where the dump carries a stored reason, rows whose re-derived reason differs, with the most frequent message.
-- params: limit
WITH cells AS (
  SELECT source, lower(reason) AS stored_reason, new_reason AS derived_reason, new_code, message,
         count(*) AS n
  FROM classified
  WHERE reason IS NOT NULL AND lower(reason) <> new_reason
  GROUP BY ALL
)
SELECT
  source, stored_reason, derived_reason,
  first(new_code ORDER BY n DESC, new_code) AS top_code,
  sum(n)::BIGINT AS rows,
  first(message ORDER BY n DESC, message) AS example
FROM cells
GROUP BY source, stored_reason, derived_reason
ORDER BY rows DESC, source, stored_reason, derived_reason
LIMIT $limit
