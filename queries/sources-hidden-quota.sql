-- name: sources-hidden-quota
-- description: Rows logged with reason unknown (or none) that the re-run shows are exhausted credit, balance or quota (Anthropic's low credit balance, OpenRouter's 402), per source, provider and code, with the commonest message.
-- params: limit
WITH cells AS (
  SELECT source, provider, new_code, message, count(*) AS n
  FROM classified
  WHERE coalesce(lower(reason), 'unknown') = 'unknown' AND new_reason = 'quota'
    AND reason IS NOT NULL
  GROUP BY ALL
)
SELECT
  source, provider, new_code AS code, sum(n)::BIGINT AS rows,
  first(message ORDER BY n DESC, message) AS example
FROM cells
GROUP BY source, provider, new_code
ORDER BY rows DESC, source, provider NULLS LAST, code
LIMIT $limit
