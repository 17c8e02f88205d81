-- name: sources
-- description: Rows per key source (byok, platform, unknown) with fallback rows stored vs re-run and the top re-run code.
-- params:
WITH per_code AS (
  SELECT source, new_code, sum(n) AS n FROM decided GROUP BY ALL
)
SELECT
  c.source,
  sum(c.n)::BIGINT AS rows,
  coalesce(sum(c.n) FILTER (WHERE stored_fallback), 0)::BIGINT AS fallback_stored,
  coalesce(sum(c.n) FILTER (WHERE new_fallback), 0)::BIGINT AS fallback_rerun,
  (SELECT first(p.new_code ORDER BY p.n DESC, p.new_code) FROM per_code AS p
    WHERE p.source = c.source) AS top_code
FROM decided AS c
GROUP BY c.source
ORDER BY rows DESC, c.source
