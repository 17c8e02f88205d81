-- name: retry-impact
-- description: Rows whose retryable or count_as_failure flag flips between the stored and the re-run code.
-- params:
SELECT
  count(*) FILTER (WHERE NOT stored_retryable AND new_retryable) AS became_retryable,
  count(*) FILTER (WHERE stored_retryable AND NOT new_retryable) AS stopped_retryable,
  count(*) FILTER (WHERE NOT stored_count_as_failure AND new_count_as_failure) AS became_failure,
  count(*) FILTER (WHERE stored_count_as_failure AND NOT new_count_as_failure) AS stopped_failure
FROM classified
