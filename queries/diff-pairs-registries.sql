-- name: diff-pairs-registries
-- description: Per distinct tuple, the old registry's code (before) beside the new registry's code (after); each side's flags come from its own registry.
-- params:
CREATE OR REPLACE TABLE pairs AS
SELECT
  a.type, a.message, a.status, a.provider, a.n,
  b.new_code AS from_code,
  bc.code AS from_resolved,
  bc.numeric_id AS from_id,
  bc.retryable AS from_retryable,
  bc.count_as_failure AS from_count_as_failure,
  bc.fallback AS from_fallback,
  a.new_code AS to_code,
  ac.numeric_id AS to_id,
  ac.retryable AS to_retryable,
  ac.count_as_failure AS to_count_as_failure,
  ac.fallback AS to_fallback,
  a.step AS to_step,
  a.pattern_position AS to_pattern_position
FROM after_decisions AS a
JOIN before_decisions AS b
  ON a.type IS NOT DISTINCT FROM b.type
 AND a.message IS NOT DISTINCT FROM b.message
 AND a.status IS NOT DISTINCT FROM b.status
 AND a.provider IS NOT DISTINCT FROM b.provider
JOIN before_codes AS bc ON bc.name = b.new_code
JOIN after_codes AS ac ON ac.name = a.new_code
