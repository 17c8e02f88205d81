-- name: source-derivation
-- description: How each row's source was decided (the source column, a numbered rule, or no information) and how many rows each way.
-- params:
SELECT source_how AS derived_from, source, sum(n)::BIGINT AS rows
FROM groups
WHERE _disposition = 'analysed'
GROUP BY ALL
ORDER BY rows DESC, derived_from, source
