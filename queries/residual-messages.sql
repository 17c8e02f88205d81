-- name: residual-messages
-- description: Messages still in a fallback code after the re-run, with their rows ({prefix} names one registry's tables).
-- params:
SELECT message, sum(n)::BIGINT AS rows
FROM {prefix}decided
WHERE new_fallback AND message IS NOT NULL
GROUP BY ALL
