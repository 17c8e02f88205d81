-- name: distinct-tuples
-- description: Distinct (stored code, message, status, provider) tuples to classify, with row counts; the message is kept only for stored codes the registry looks into.
-- params: refinable
-- No ORDER BY: the tuples are joined back, never shown, and sorting millions of them costs time.
SELECT
  type,
  CASE WHEN list_contains($refinable, coalesce(type, '(none)')) THEN message END AS message,
  status,
  provider,
  count(*) AS n
FROM rows
GROUP BY ALL
