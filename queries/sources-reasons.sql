-- name: sources-reasons
-- description: Rows per key source and Omi-style reason derived from the re-run code.
-- params:
WITH per_source AS (
  SELECT source, count(*) AS source_rows FROM classified GROUP BY ALL
)
SELECT c.source, c.new_reason AS reason, count(*) AS rows, any_value(p.source_rows) AS source_rows
FROM classified AS c
JOIN per_source AS p USING (source)
GROUP BY c.source, c.new_reason
ORDER BY c.source, rows DESC, reason
