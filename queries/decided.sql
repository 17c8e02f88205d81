-- name: decided
-- description: Analysed row groups (stored code, message, status, provider, source) with their re-run decision and both codes' flags: what tuple-level reports read ({prefix} names one registry's tables).
-- params:
CREATE OR REPLACE TABLE {prefix}decided AS
SELECT
  g.n, g.first_ts, g.last_ts, g.message, g.status, g.provider, g.source, g.source_how,
  coalesce(g.type, '(none)') AS stored_code,
  d.new_code, d.step, d.pattern_position, d.status_used, d.first_match,
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
FROM groups AS g
JOIN {prefix}decisions AS d
  ON g.type IS NOT DISTINCT FROM d.type
 AND g.message IS NOT DISTINCT FROM d.message
 AND g.status IS NOT DISTINCT FROM d.status
 AND g.provider IS NOT DISTINCT FROM d.provider
JOIN {prefix}codes AS sc ON sc.name = coalesce(g.type, '(none)')
JOIN {prefix}codes AS nc ON nc.name = d.new_code
WHERE g._disposition = 'analysed'
