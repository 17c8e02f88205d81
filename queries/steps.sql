-- name: steps
-- description: Rows by the refinement step that decided them (pattern, status, alias, pass-through, no-match).
-- params:
SELECT step, sum(n)::BIGINT AS rows
FROM decided
GROUP BY ALL
ORDER BY rows DESC, step
