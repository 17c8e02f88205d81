-- name: retry-impact
-- description: Rows whose retryable or count_as_failure flag flips between the stored and the re-run code.
-- params:
SELECT
  coalesce(sum(n) FILTER (WHERE NOT stored_retryable AND new_retryable), 0)::BIGINT AS became_retryable,
  coalesce(sum(n) FILTER (WHERE stored_retryable AND NOT new_retryable), 0)::BIGINT AS stopped_retryable,
  coalesce(sum(n) FILTER (WHERE NOT stored_count_as_failure AND new_count_as_failure), 0)::BIGINT AS became_failure,
  coalesce(sum(n) FILTER (WHERE stored_count_as_failure AND NOT new_count_as_failure), 0)::BIGINT AS stopped_failure
FROM decided
