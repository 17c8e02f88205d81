-- name: sources-reason-matrix
-- description: Where the dump carries a stored reason (Omi's invalid/permission/quota/unknown): rows per source and provider by stored reason and the reason re-derived from the re-run code.
-- params: limit
SELECT
  source, provider, lower(reason) AS stored_reason, new_reason AS derived_reason,
  count(*) AS rows,
  lower(reason) = new_reason AS agrees
FROM classified
WHERE reason IS NOT NULL
GROUP BY ALL
ORDER BY source, rows DESC, provider NULLS LAST, stored_reason, derived_reason
LIMIT $limit
