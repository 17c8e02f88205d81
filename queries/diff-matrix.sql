-- name: diff-matrix
-- description: Moved cells (from -> to) by rows, with flag flips and up to $examples distinct example messages, most frequent first.
-- params: limit, examples
WITH moved AS (
  SELECT * FROM pairs WHERE from_resolved <> to_code
), cells AS (
  SELECT
    from_code, to_code,
    any_value(from_id) AS from_id,
    any_value(to_id) AS to_id,
    sum(n)::BIGINT AS rows,
    bool_or(from_retryable) AS from_retryable,
    bool_or(to_retryable) AS to_retryable,
    bool_or(from_count_as_failure) AS from_count_as_failure,
    bool_or(to_count_as_failure) AS to_count_as_failure
  FROM moved
  GROUP BY from_code, to_code
), messages AS (
  SELECT from_code, to_code, message, sum(n) AS n
  FROM moved
  WHERE message IS NOT NULL
  GROUP BY ALL
), examples AS (
  SELECT from_code, to_code, list_slice(list(message ORDER BY n DESC, message), 1, $examples) AS examples
  FROM messages
  GROUP BY ALL
)
SELECT
  c.from_code, c.to_code, c.from_id, c.to_id, c.rows,
  CASE WHEN c.from_retryable = c.to_retryable THEN NULL
       WHEN c.to_retryable THEN 'becomes retryable' ELSE 'stops being retryable' END
    AS retryable_flip,
  CASE WHEN c.from_count_as_failure = c.to_count_as_failure THEN NULL
       WHEN c.to_count_as_failure THEN 'becomes a failure' ELSE 'stops being a failure' END
    AS count_as_failure_flip,
  e.examples
FROM cells AS c
LEFT JOIN examples AS e USING (from_code, to_code)
ORDER BY c.rows DESC, c.from_code, c.to_code
LIMIT $limit
