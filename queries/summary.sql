-- name: summary
-- description: Analysed rows, time span, fallback rows stored vs re-run, and rows whose code changed.
-- params:
SELECT
  count(*) AS rows,
  min(ts) AS first_ts,
  max(ts) AS last_ts,
  count(*) FILTER (WHERE stored_fallback) AS fallback_stored,
  count(*) FILTER (WHERE new_fallback) AS fallback_rerun,
  count(*) FILTER (WHERE stored_resolved <> new_code) AS reclassified
FROM classified
