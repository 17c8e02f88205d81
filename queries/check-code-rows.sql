-- name: check-code-rows
-- description: Rows per re-run code, for a baseline.
-- params:
SELECT new_code AS code, sum(n)::BIGINT AS rows
FROM decided
GROUP BY ALL
ORDER BY code
