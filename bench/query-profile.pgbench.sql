-- pgbench custom script of the query benchmark (bench/query.ts): the statements one
-- GET /enterprises/:uscc runs, as knex sends them (captured with knex's 'query' event), for a
-- random enterprise of the loaded set. Run with -M prepared: the service sends the profile's reads
-- as a named prepared statement (store/sql.ts `prepared`), planned once per connection. The token
-- check is not here: a serving process answers it from memory after a token's first request
-- (store/token-cache.ts; taken out on 2026-12-06, fifth pass). -D supplies n, token_id, institution,
-- institution_id, at, detail.
-- Captured again on 2026-12-06 (second time that day): the profile's reads are one statement
-- (store/queries.ts enterpriseReads): the records, their earlier versions when a record is at
-- version > 1, the grants in force for the institution and the enterprise's lapsed collections.
-- Differences: the USCC is picked by ordinal from bench_enterprises; the to_char formats are spelled
-- replace('…HH24#MI#SS…', '#', ':') because pgbench would take :MI and :SS inside the literal for
-- variables (folded to a constant when planned); the access-log entry's hash is computed in SQL where
-- the service computes it in Node (HMAC), and the entry is inserted from one row where the service
-- sends a group's entries as one JSON array (store/access-log.ts APPEND_AFTER_SQL); its prev_hash is
-- the head as the statement's snapshot saw it, which a concurrent client may have moved (the cost is
-- the same; the bench's chain is not verified).
-- The append changed on 2026-12-06 (sixth pass): it was a transaction of its own, BEGIN, the advisory
-- lock, the head, the insert and COMMIT.
\set ord random(1, :n)
SELECT uscc FROM bench_enterprises WHERE ord = :ord \gset
-- the profile's reads (api/profile.ts, store/queries.ts enterpriseReads, store/authorisations.ts)
WITH r AS (SELECT id, category, natural_key, fields, version, source_unit, delivered_by, batch_id, source_line, schema_version, content_hash, event_date::text AS event_date, to_char(received_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS received_at, to_char(loaded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS loaded_at FROM credit_records WHERE subject_uscc = :uscc) SELECT (SELECT json_agg(r ORDER BY category, event_date, natural_key) FROM r) AS records, CASE WHEN EXISTS (SELECT 1 FROM r WHERE version > 1) THEN (SELECT json_agg(v ORDER BY record_id, version) FROM ( SELECT record_id, category, natural_key, fields, version, source_unit, delivered_by, batch_id, source_line, schema_version, content_hash, event_date::text AS event_date, to_char(received_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS received_at, to_char(loaded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS loaded_at, to_char(superseded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS superseded_at, superseded_by_batch FROM credit_record_versions WHERE subject_uscc = :uscc) v) END AS history, (SELECT json_agg(g ORDER BY expires_at DESC) FROM (SELECT id, enterprise_uscc, categories, institution, institution_id, evidence_kind, evidence_ref, recorded_by, to_char(granted_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS granted_at, to_char(expires_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS expires_at, to_char(revoked_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS revoked_at, to_char(recorded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS recorded_at FROM enterprise_authorisations WHERE enterprise_uscc = :uscc AND granted_at <= :at AND expires_at > :at AND revoked_at IS NULL AND institution_id = :institution_id) g) AS grants, (SELECT json_agg(l) FROM (WITH g AS ( SELECT enterprise_uscc, unnest(categories) AS category, granted_at, LEAST(expires_at, COALESCE(revoked_at, expires_at)) AS ended FROM enterprise_authorisations WHERE institution IS NULL AND granted_at <= :at AND enterprise_uscc = ANY(ARRAY[:uscc])) SELECT enterprise_uscc, category, to_char(since AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS since, to_char(ended AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS ended FROM ( SELECT enterprise_uscc, category, min(granted_at) AS since, max(ended) AS ended FROM g GROUP BY enterprise_uscc, category HAVING bool_and(ended <= :at) ) x) l) AS lapsed;
-- the access log append (store/access-log.ts, appendAccess): while the serving process wrote the head
-- last, a group is one statement in a transaction of its own, which takes the advisory lock and moves
-- the head only if it is still the entry the group was chained after (APPEND_AFTER_SQL). Here each
-- request appends its own entry (the service commits the entries that arrive meanwhile together),
-- and the statement chains after whatever head it finds, as pgbench keeps no head between
-- transactions.
WITH h AS (SELECT seq, hash, key_id FROM access_log_head),
  moved AS (UPDATE access_log_head SET seq = seq + 1, hash = encode(sha256(convert_to(hash || :detail, 'UTF8')), 'hex') WHERE one AND (SELECT pg_advisory_xact_lock(hashtext('credit-etl access_log append'))) IS NOT NULL RETURNING seq, hash, key_id)
INSERT INTO access_log (action, actor_role, actor_token_id, actor_unit, at, detail, enterprises, hash, key_id, prev_hash, request_id, seq)
  SELECT 'enterprise.read', 'analyst', :token_id, :institution, :at, :detail, ARRAY[:uscc], moved.hash, moved.key_id, h.hash, gen_random_uuid()::text, moved.seq FROM moved, h;
