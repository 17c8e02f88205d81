-- name: profile-omi
-- description: Omi's LLM error log records, exported as JSONL from a logging system: the line `LLM error source=byok|platform provider=... error=...` as text (textPayload, message) or split into jsonPayload fields. Every row is re-classified; Omi's reason is kept as the stored reason.
-- profile: omi
-- rerun: full
-- extras: x_operation
-- detect: regexp_matches(line, 'LLM error (source|provider)=') OR (p_error IS NOT NULL AND (p_source IS NOT NULL OR p_error_type IS NOT NULL))
-- field line (message): textPayload | message | jsonPayload.message | jsonPayload.msg | log
-- field p_source (text): jsonPayload.source
-- field p_provider (text): jsonPayload.provider
-- field p_feature (text): jsonPayload.feature
-- field p_model (text): jsonPayload.model
-- field p_operation (text): jsonPayload.operation
-- field p_uid (text): jsonPayload.uid
-- field p_status (text): jsonPayload.status_code
-- field p_reason (text): jsonPayload.reason
-- field p_error_type (text): jsonPayload.error_type
-- field p_error (message): jsonPayload.error
-- field log_id (text): insertId | id | _id
-- field log_ts (timestamp): timestamp | receiveTimestamp | time | @timestamp | ts
-- note: The keys come in Omi's order and every value but the last may be missing; values may hold spaces and `=`, and `error=` is last, so it keeps everything to the end of the line (newlines included).
-- note: `None` (Python's rendering of a missing value) reads as missing; a dotted error type (`openai.RateLimitError`) keeps its class name.
-- note: Rows that are not LLM error records (other log lines in the same export) are skipped as `not an Omi LLM error record`; a line that says `LLM error` but has no `error=` is skipped as `unparseable Omi log line`.
WITH parsed AS (
  SELECT *,
    regexp_extract(
      line,
      '(?s)LLM error (?:source=(.*?) )?(?:provider=(.*?) )?(?:feature=(.*?) )?(?:model=(.*?) )?(?:operation=(.*?) )?(?:uid=(.*?) )?(?:status_code=(.*?) )?(?:reason=(.*?) )?(?:error_type=(.*?) )?error=(.*)$',
      ['source', 'provider', 'feature', 'model', 'operation', 'uid', 'status_code', 'reason',
       'error_type', 'error']
    ) AS kv,
    regexp_matches(line, 'LLM error (?:source|provider)=') AS says_llm_error
  FROM extracted
),
fields AS (
  SELECT *,
    -- A field is missing when absent, empty or Python's None.
    nullif(nullif(trim(coalesce(p_source, nullif(kv.source, ''))), ''), 'None') AS f_source,
    nullif(nullif(trim(coalesce(p_provider, nullif(kv.provider, ''))), ''), 'None') AS f_provider,
    nullif(nullif(trim(coalesce(p_feature, nullif(kv.feature, ''))), ''), 'None') AS f_feature,
    nullif(nullif(trim(coalesce(p_model, nullif(kv.model, ''))), ''), 'None') AS f_model,
    nullif(nullif(trim(coalesce(p_operation, nullif(kv.operation, ''))), ''), 'None') AS f_operation,
    nullif(nullif(trim(coalesce(p_uid, nullif(kv.uid, ''))), ''), 'None') AS f_uid,
    nullif(nullif(trim(coalesce(p_status, nullif(kv.status_code, ''))), ''), 'None') AS f_status,
    nullif(nullif(trim(coalesce(p_reason, nullif(kv.reason, ''))), ''), 'None') AS f_reason,
    nullif(nullif(trim(coalesce(p_error_type, nullif(kv.error_type, ''))), ''), 'None') AS f_type,
    nullif(coalesce(p_error, CASE WHEN kv.error <> '' THEN kv.error END), 'None') AS f_error
  FROM parsed
)
SELECT
  _file, _blank, _valid,
  log_id AS id,
  log_ts AS ts,
  regexp_replace(f_type, '^.*\.', '') AS type,
  f_error AS message,
  TRY_CAST(TRY_CAST(f_status AS DOUBLE) AS INTEGER) AS status,
  lower(f_provider) AS provider,
  f_model AS model,
  f_feature AS feature,
  lower(f_source) AS source,
  f_uid AS user_id,
  lower(f_reason) AS reason,
  f_operation AS x_operation,
  CASE
    WHEN p_error IS NOT NULL OR (says_llm_error AND f_error IS NOT NULL) THEN NULL
    WHEN coalesce(says_llm_error, false) THEN 'unparseable Omi log line'
    ELSE 'not an Omi LLM error record'
  END AS _problem
FROM fields
