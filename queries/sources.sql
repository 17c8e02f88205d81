-- name: sources
-- description: Rows per key source (byok, platform, unknown) with fallback rows stored vs re-run and the top re-run code.
-- params:
WITH per_code AS (
  SELECT source, new_code, count(*) AS n FROM classified GROUP BY ALL
)
SELECT
  c.source,
  count(*) AS rows,
  count(*) FILTER (WHERE stored_fallback) AS fallback_stored,
  count(*) FILTER (WHERE new_fallback) AS fallback_rerun,
  (SELECT first(p.new_code ORDER BY p.n DESC, p.new_code) FROM per_code AS p
    WHERE p.source = c.source) AS top_code
FROM classified AS c
GROUP BY c.source
ORDER BY rows DESC, c.source
