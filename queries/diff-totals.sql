-- name: diff-totals
-- description: Rows, moved rows, fallback rows before and after, and flag flips over the pairs table.
-- params:
SELECT
  coalesce(sum(n), 0)::BIGINT AS rows,
  coalesce(sum(n) FILTER (WHERE from_resolved <> to_code), 0)::BIGINT AS moved,
  coalesce(sum(n) FILTER (WHERE from_fallback), 0)::BIGINT AS fallback_before,
  coalesce(sum(n) FILTER (WHERE to_fallback), 0)::BIGINT AS fallback_after,
  coalesce(sum(n) FILTER (WHERE NOT from_retryable AND to_retryable), 0)::BIGINT AS became_retryable,
  coalesce(sum(n) FILTER (WHERE from_retryable AND NOT to_retryable), 0)::BIGINT AS stopped_retryable,
  coalesce(sum(n) FILTER (WHERE NOT from_count_as_failure AND to_count_as_failure), 0)::BIGINT AS became_failure,
  coalesce(sum(n) FILTER (WHERE from_count_as_failure AND NOT to_count_as_failure), 0)::BIGINT AS stopped_failure
FROM pairs
