-- name: decided
-- description: Analysed row groups (stored code, message, status, provider, source) with their re-run decision and both codes' flags: what tuple-level reports read ({prefix} names one registry's tables).
-- params:
CREATE OR REPLACE VIEW {prefix}decided AS
SELECT
  d.n, d.first_ts, d.last_ts, d.message, d.status, d.provider, d.source, d.source_how,
  d.stored_code_raw AS stored_code,
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
FROM {prefix}decided_raw AS d
JOIN {prefix}codes AS sc ON sc.name = d.stored_code_raw
JOIN {prefix}codes AS nc ON nc.name = d.new_code
