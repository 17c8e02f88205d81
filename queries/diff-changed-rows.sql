-- name: diff-changed-rows
-- description: Every row that moved, with where it came from, where it went, the deciding pattern and both registries' hashes.
-- params: after_hash, before_hash
SELECT
  r.id, r.ts, r.provider, r.model, r.feature, r.source,
  p.from_code, p.to_code,
  p.to_pattern_position AS pattern_position,
  pt.text AS pattern,
  r.message,
  $before_hash AS before_registry_hash,
  $after_hash AS after_registry_hash
FROM rows_keyed AS r
JOIN pairs AS p
  ON r.type IS NOT DISTINCT FROM p.type
 AND r.key_message IS NOT DISTINCT FROM p.message
 AND r.status IS NOT DISTINCT FROM p.status
 AND r.provider IS NOT DISTINCT FROM p.provider
LEFT JOIN after_patterns AS pt ON pt.position = p.to_pattern_position
WHERE p.from_resolved <> p.to_code
ORDER BY r.ts NULLS LAST, r.id, r._file
