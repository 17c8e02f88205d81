-- name: registry-export
-- description: The refinement rules as one query over a relation of canonical columns (type, message, status, provider); errscope.export fills the :placeholders from a registry as sqlglot trees and transpiles the whole to each dialect.
-- params:
WITH errscope_codes AS (
  SELECT code, numeric_id, category, severity, attribution, retryable, count_as_failure, fallback
  FROM :codes
),
errscope_patterns AS (
  SELECT pattern_position, pattern_code
  FROM :patterns
),
errscope_matched AS (
  SELECT
    src.*,
    :stored_code AS errscope_stored_code,
    :first_match AS errscope_first_match,
    :status_read AS errscope_status
  FROM :source AS src
),
errscope_decided AS (
  SELECT
    m.*,
    CASE
      WHEN NOT :refinable THEN m.errscope_stored_code
      WHEN p.pattern_code <> m.errscope_stored_code THEN p.pattern_code
      WHEN :status_code <> m.errscope_stored_code THEN :status_code
      ELSE m.errscope_stored_code
    END AS errscope_code,
    CASE
      WHEN NOT :refinable THEN
        CASE WHEN m.errscope_stored_code <> :stored THEN 'alias' ELSE 'pass-through' END
      WHEN p.pattern_code <> m.errscope_stored_code THEN 'pattern'
      WHEN :status_code <> m.errscope_stored_code THEN 'status'
      ELSE 'no-match'
    END AS errscope_step,
    CASE
      WHEN p.pattern_code <> m.errscope_stored_code THEN m.errscope_first_match
    END AS errscope_pattern
  FROM errscope_matched AS m
  LEFT JOIN errscope_patterns AS p
    ON p.pattern_position = m.errscope_first_match
)
SELECT
  d.*,
  c.numeric_id AS errscope_numeric_id,
  coalesce(c.category, 'unspecified') AS errscope_category,
  coalesce(c.retryable, FALSE) AS errscope_retryable,
  coalesce(c.count_as_failure, TRUE) AS errscope_count_as_failure,
  coalesce(c.fallback, FALSE) AS errscope_fallback
FROM errscope_decided AS d
LEFT JOIN errscope_codes AS c
  ON c.code = d.errscope_code
