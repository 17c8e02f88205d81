-- name: sources-codes
-- description: Rows per key source and re-run code, with the code's category, attribution and Omi-style reason; shares of the source and of all rows.
-- params:
WITH per_source AS (
  SELECT source, count(*) AS source_rows FROM classified GROUP BY ALL
)
SELECT
  c.source,
  c.new_code AS code,
  any_value(c.new_id) AS numeric_id,
  any_value(c.new_category) AS category,
  any_value(c.new_attribution) AS attribution,
  any_value(c.new_reason) AS reason,
  bool_or(c.new_fallback) AS fallback,
  count(*) AS rows,
  any_value(p.source_rows) AS source_rows
FROM classified AS c
JOIN per_source AS p USING (source)
GROUP BY c.source, c.new_code
ORDER BY c.source, rows DESC, code
