-- name: profile-tale
-- description: Tale's failed-turn messages, exported as JSONL: the text `TALE_ERR1 ` + URL-encoded JSON {code, provider, model, tried} + a newline + the raw provider message. The envelope's code is the stored code; every row is re-classified (use --registry tale).
-- profile: tale
-- rerun: full
-- registry: tale
-- extras: x_tried, x_key_fp, x_base_url, x_thread
-- detect: starts_with(ltrim(text), 'TALE_ERR1 ')
-- field text (message): content | text | message | body | error
-- field row_id (text): _id | id | messageId
-- field row_ts (timestamp): _creationTime | createdAt | created_at | timestamp
-- field row_provider (text): provider | providerName
-- field row_key (message): apiKey | credential | providerConfig.apiKey
-- field row_key_id (text): credentialId | keyId | providerConfig.credentialId
-- field row_base_url (text): baseUrl | providerConfig.baseUrl | endpoint
-- field row_user (text): userId | organizationId | user_id
-- field row_thread (text): threadId | thread_id | conversationId
-- note: The envelope is `TALE_ERR1 `, URL-encoded JSON (encodeURIComponent), a newline, then the raw message (which may span lines). A text that starts with the prefix but has no newline, no JSON object or no `code` is skipped as `malformed Tale envelope`, counted, never fatal; a message without the prefix (an ordinary turn) is skipped as `not a Tale failed-turn envelope`.
-- note: A raw key (envelope `key`/`apiKey`, or the row's `apiKey`) is turned into a fingerprint (`k-` + 12 hex digits of a SHA-256 over a fixed errscope prefix and the key) right here: the key never leaves the loader. A credential id is fingerprinted the same way. Base URLs lose any user:password@ and query string.
-- note: `tried` is kept as JSON (x_tried): the models of the turn's fallback chain, as ids or objects with model/modelId, provider, code or outcome, skipped, and prices (inputCentsPerMillion/outputCentsPerMillion or input_price/output_price).
WITH split AS (
  SELECT *,
    starts_with(ltrim(text), 'TALE_ERR1 ') AS is_envelope,
    ltrim(text)[11:] AS after_prefix
  FROM extracted
),
parts AS (
  SELECT *,
    strpos(after_prefix, chr(10)) AS nl
  FROM split
),
decoded AS (
  SELECT *,
    CASE WHEN is_envelope AND nl > 0 THEN TRY(url_decode(trim(after_prefix[:nl - 1]))) END AS head,
    CASE WHEN is_envelope AND nl > 0 THEN after_prefix[nl + 1:] END AS raw_message
  FROM parts
),
envelope AS (
  SELECT *,
    CASE WHEN head IS NOT NULL AND json_valid(head) AND json_type(head) = 'OBJECT'
      THEN CAST(head AS JSON) END AS env
  FROM decoded
),
fields AS (
  SELECT *,
    nullif(trim(env ->> 'code'), '') AS env_code,
    coalesce(env ->> 'key', env ->> 'apiKey', row_key) AS any_key,
    coalesce(env ->> 'credentialId', row_key_id) AS any_key_id,
    coalesce(env ->> 'baseUrl', row_base_url) AS any_base_url
  FROM envelope
)
SELECT
  _file, _blank, _valid,
  row_id AS id,
  row_ts AS ts,
  env_code AS type,
  nullif(rtrim(raw_message, chr(13) || chr(10)), '') AS message,
  NULL AS status,
  lower(nullif(trim(coalesce(env ->> 'provider', row_provider)), '')) AS provider,
  nullif(trim(env ->> 'model'), '') AS model,
  'chat' AS feature,
  NULL AS source,
  row_user AS user_id,
  NULL AS reason,
  CASE WHEN json_type(env -> 'tried') = 'ARRAY' THEN CAST(env -> 'tried' AS VARCHAR) END AS x_tried,
  CASE
    WHEN any_key IS NOT NULL AND trim(any_key) <> ''
      THEN 'k-' || sha256('errscope-scope-key/v1:' || trim(any_key))[:12]
    WHEN any_key_id IS NOT NULL AND trim(any_key_id) <> ''
      THEN 'k-' || sha256('errscope-scope-key/v1:id:' || trim(any_key_id))[:12]
  END AS x_key_fp,
  nullif(rtrim(split_part(regexp_replace(trim(any_base_url), '^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@', '\1'), '?', 1), '/'), '') AS x_base_url,
  row_thread AS x_thread,
  CASE
    WHEN NOT coalesce(is_envelope, false) THEN 'not a Tale failed-turn envelope'
    WHEN env_code IS NULL THEN 'malformed Tale envelope'
  END AS _problem
FROM fields
