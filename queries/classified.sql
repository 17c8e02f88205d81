-- name: classified
-- description: The view every report reads: each analysed row (all its columns, a profile's x_ extras too) with its stored and re-run code and both codes' flags ({prefix} names one registry's tables).
-- params:
CREATE OR REPLACE VIEW {prefix}classified AS
SELECT
  r.* EXCLUDE (type, key_message),
  coalesce(r.type, '(none)') AS stored_code,
  d.new_code,
  d.step,
  d.pattern_position,
  d.status_used,
  sc.code AS stored_resolved,
  sc.numeric_id AS stored_id,
  sc.category AS stored_category,
  sc.retryable AS stored_retryable,
  sc.count_as_failure AS stored_count_as_failure,
  sc.fallback AS stored_fallback,
  nc.numeric_id AS new_id,
  nc.category AS new_category,
  nc.attribution AS new_attribution,
  nc.severity AS new_severity,
  nc.retryable AS new_retryable,
  nc.count_as_failure AS new_count_as_failure,
  nc.fallback AS new_fallback,
  nc.reason AS new_reason
FROM rows_keyed AS r
JOIN {prefix}decisions AS d
  ON r.type IS NOT DISTINCT FROM d.type
 AND r.key_message IS NOT DISTINCT FROM d.message
 AND r.status IS NOT DISTINCT FROM d.status
 AND r.provider IS NOT DISTINCT FROM d.provider
JOIN {prefix}codes AS sc ON sc.name = coalesce(r.type, '(none)')
JOIN {prefix}codes AS nc ON nc.name = d.new_code
