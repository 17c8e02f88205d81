-- name: diff-pairs-stored
-- description: Per distinct tuple, the stored code (before) beside the registry's re-run code (after), with both codes' flags from the registry.
-- params:
CREATE OR REPLACE TABLE pairs AS
SELECT
  d.type, d.message, d.status, d.provider, d.n,
  coalesce(d.type, '(none)') AS from_code,
  bc.code AS from_resolved,
  bc.numeric_id AS from_id,
  bc.retryable AS from_retryable,
  bc.count_as_failure AS from_count_as_failure,
  bc.fallback AS from_fallback,
  d.new_code AS to_code,
  ac.numeric_id AS to_id,
  ac.retryable AS to_retryable,
  ac.count_as_failure AS to_count_as_failure,
  ac.fallback AS to_fallback,
  d.step AS to_step,
  d.pattern_position AS to_pattern_position
FROM after_decisions AS d
JOIN after_codes AS bc ON bc.name = coalesce(d.type, '(none)')
JOIN after_codes AS ac ON ac.name = d.new_code
