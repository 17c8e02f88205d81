-- name: steps
-- description: Rows by the refinement step that decided them (pattern, status, alias, pass-through, no-match).
-- params:
SELECT step, count(*) AS rows
FROM classified
GROUP BY ALL
ORDER BY rows DESC, step
