-- name: summary
-- description: Analysed rows, time span, fallback rows stored vs re-run, and rows whose code changed.
-- params:
SELECT
  coalesce(sum(n), 0)::BIGINT AS rows,
  min(first_ts) AS first_ts,
  max(last_ts) AS last_ts,
  coalesce(sum(n) FILTER (WHERE stored_fallback), 0)::BIGINT AS fallback_stored,
  coalesce(sum(n) FILTER (WHERE new_fallback), 0)::BIGINT AS fallback_rerun,
  coalesce(sum(n) FILTER (WHERE stored_resolved <> new_code), 0)::BIGINT AS reclassified
FROM decided
