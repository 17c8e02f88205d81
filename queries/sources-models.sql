-- name: sources-models
-- description: Rows per key source and model, with fallback rows stored vs re-run, the top re-run code and the top reason.
-- params: limit
WITH cells AS (
  SELECT source, model, new_code, new_reason, count(*) AS n,
         count(*) FILTER (WHERE stored_fallback) AS fb_stored,
         count(*) FILTER (WHERE new_fallback) AS fb_rerun
  FROM classified
  GROUP BY ALL
), reasons AS (
  SELECT source, model, new_reason, sum(n) AS n FROM cells GROUP BY ALL
)
SELECT
  c.source,
  c.model,
  sum(c.n)::BIGINT AS rows,
  sum(c.fb_stored)::BIGINT AS fallback_stored,
  sum(c.fb_rerun)::BIGINT AS fallback_rerun,
  first(c.new_code ORDER BY c.n DESC, c.new_code) AS top_code,
  (SELECT first(r.new_reason ORDER BY r.n DESC, r.new_reason) FROM reasons AS r
    WHERE r.source = c.source AND r.model IS NOT DISTINCT FROM c.model) AS top_reason
FROM cells AS c
GROUP BY c.source, c.model
ORDER BY rows DESC, c.source, c.model NULLS LAST
LIMIT $limit
