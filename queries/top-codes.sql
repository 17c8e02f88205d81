-- name: top-codes
-- description: Codes by rows after the re-run, with rows stored under each code before it.
-- params: limit
WITH stored AS (
  SELECT stored_resolved AS code, sum(n)::BIGINT AS rows_stored FROM decided GROUP BY ALL
), rerun AS (
  SELECT new_code AS code, sum(n)::BIGINT AS rows_rerun FROM decided GROUP BY ALL
)
SELECT
  code,
  c.numeric_id,
  c.category,
  c.fallback,
  coalesce(s.rows_stored, 0) AS rows_stored,
  coalesce(r.rows_rerun, 0) AS rows_rerun
FROM rerun AS r
FULL OUTER JOIN stored AS s USING (code)
JOIN codes AS c ON c.name = code
ORDER BY rows_rerun DESC, rows_stored DESC, code
LIMIT $limit
