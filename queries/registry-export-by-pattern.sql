-- name: registry-export-by-pattern
-- description: registry-export shaped for engines that keep few compiled regexes (PostgreSQL keeps 32 per session, so a CASE over 150 patterns recompiles them on every row): each pattern runs once over the distinct messages, then the first in-scope match is found per (stored code, message, provider). OFFSET 0 keeps the planner from flattening the LATERAL subquery back into a loop over messages.
-- params:
WITH errscope_codes AS (
  SELECT code, numeric_id, category, severity, attribution, retryable, count_as_failure, fallback
  FROM :codes
),
errscope_patterns AS (
  SELECT pattern_position, pattern_code
  FROM :patterns
),
errscope_regexes AS (
  SELECT pattern_position, pattern_regex
  FROM :regexes
),
errscope_texts AS MATERIALIZED (
  SELECT DISTINCT src.message
  FROM :source AS src
  WHERE :pattern_refinable AND src.message <> ''
),
errscope_hits AS (
  SELECT r.pattern_position, t.message
  FROM errscope_regexes AS r
  CROSS JOIN LATERAL (
    SELECT x.message
    FROM errscope_texts AS x
    WHERE regexp_matches(x.message, r.pattern_regex)
    OFFSET 0
  ) AS t
),
errscope_first AS (
  SELECT
    k.errscope_stored,
    k.message,
    k.errscope_provider,
    min(CASE WHEN :in_scope THEN h.pattern_position END) AS errscope_first_match
  FROM (
    SELECT DISTINCT
      coalesce(src.type, '(none)') AS errscope_stored,
      src.message,
      coalesce(src.provider, '') AS errscope_provider
    FROM :source AS src
    WHERE :pattern_refinable AND src.message <> ''
  ) AS k
  JOIN errscope_hits AS h
    ON h.message = k.message
  GROUP BY k.errscope_stored, k.message, k.errscope_provider
),
errscope_matched AS (
  SELECT
    src.*,
    :stored_code AS errscope_stored_code,
    f.errscope_first_match,
    :status_read AS errscope_status
  FROM :source AS src
  LEFT JOIN errscope_first AS f
    ON f.errscope_stored = coalesce(src.type, '(none)')
   AND f.message = src.message
   AND f.errscope_provider = coalesce(src.provider, '')
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
