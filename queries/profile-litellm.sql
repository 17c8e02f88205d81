-- name: profile-litellm
-- description: LiteLLM proxy's LiteLLM_ErrorLogs table, exported (JSONL or Parquet): request_id, startTime, model_group, exception_type, exception_string, status_code. Every row is re-classified; the exception class is the stored code.
-- profile: litellm
-- rerun: full
-- detect: exception_string IS NOT NULL AND (exception_type IS NOT NULL OR model_group IS NOT NULL)
-- field request_id (text): request_id
-- field start_time (timestamp): startTime | start_time
-- field model_group (text): model_group
-- field model_name (text): litellm_model_name
-- field exception_type (text): exception_type
-- field exception_string (message): exception_string
-- field status_code (text): status_code
-- note: The provider is the prefix of litellm_model_name (`anthropic/claude-...`), else the `<Provider>Exception` that LiteLLM names in the message (`AnthropicException - ...`).
SELECT
  _file, _blank, _valid,
  request_id AS id,
  start_time AS ts,
  regexp_replace(exception_type, '^.*\.', '') AS type,
  exception_string AS message,
  TRY_CAST(TRY_CAST(status_code AS DOUBLE) AS INTEGER) AS status,
  lower(coalesce(
    CASE WHEN contains(model_name, '/') THEN split_part(model_name, '/', 1) END,
    nullif(regexp_extract(exception_string, '\b([A-Za-z]+)Exception\b', 1), '')
  )) AS provider,
  model_group AS model,
  NULL AS feature,
  NULL AS source,
  NULL AS user_id,
  NULL AS reason,
  NULL AS _problem
FROM extracted
