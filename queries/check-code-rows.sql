-- name: check-code-rows
-- description: Rows per re-run code, for a baseline.
-- params:
SELECT new_code AS code, count(*) AS rows
FROM classified
GROUP BY ALL
ORDER BY code
