-- pgbench custom script of the query benchmark (bench/query.ts): the statements one
-- GET /enterprises/:uscc runs, as knex sends them (captured with knex's 'query' event), for a
-- random enterprise of the loaded set. Run with -M extended, so :variables are bound parameters as
-- node-postgres binds them. -D supplies n, token_hash, token_id, institution, institution_id, at, detail.
-- Captured again on 2026-12-06 from the server's statement log (the profile now reads the grants by
-- institution id and the lapsed collections of the revocation rule, computes the water and gas
-- indicators from the records, and the access log carries key ids).
-- Differences: the USCC is picked by ordinal from bench_enterprises, in the same statement that says
-- whether the service will read earlier versions (a record at version > 1), so the script runs what
-- the service runs for that enterprise; the to_char formats are spelled replace('…HH24#MI#SS…', '#', ':') because pgbench
-- would take :MI and :SS inside the literal for variables (folded to a constant when planned); the
-- access-log entry's hash is computed in SQL where the service computes it in Node.
\set ord random(1, :n)
SELECT uscc, has_history::int AS has_history FROM bench_enterprises WHERE ord = :ord \gset
-- the token check (api/identity.ts, findApiToken)
select "id", "role", "unit", "label", "institution_id", "created_by", to_char(created_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS created_at, to_char(revoked_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS revoked_at from "api_tokens" where "token_hash" = :token_hash and "revoked_at" is null limit 1;
-- the profile (api/profile.ts, store/queries.ts, store/authorisations.ts): records, the grants in force
-- for the enterprise and the institution, and the enterprise's lapsed collections (in parallel), then
-- the earlier versions when there are any to show
select "id", "category", "natural_key", "fields", "version", "source_unit", "delivered_by", "batch_id", "source_line", "schema_version", "content_hash", event_date::text AS event_date, to_char(received_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS received_at, to_char(loaded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS loaded_at from "credit_records" where "subject_uscc" = :uscc order by "category" asc, "event_date" asc, "natural_key" asc;
select "id", "enterprise_uscc", "categories", "institution", "institution_id", "evidence_kind", "evidence_ref", "recorded_by", to_char(granted_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS granted_at, to_char(expires_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS expires_at, to_char(revoked_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS revoked_at, to_char(recorded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS recorded_at from "enterprise_authorisations" where "enterprise_uscc" in (:uscc) and "granted_at" <= :at and "expires_at" > :at and "revoked_at" is null and "institution_id" = :institution_id order by "expires_at" desc;
WITH g AS (SELECT enterprise_uscc, unnest(categories) AS category, granted_at, LEAST(expires_at, COALESCE(revoked_at, expires_at)) AS ended FROM enterprise_authorisations WHERE institution IS NULL AND granted_at <= :at AND enterprise_uscc = ANY(ARRAY[:uscc])) SELECT enterprise_uscc, category, to_char(since AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS since, to_char(ended AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS ended FROM (SELECT enterprise_uscc, category, min(granted_at) AS since, max(ended) AS ended FROM g GROUP BY enterprise_uscc, category HAVING bool_and(ended <= :at)) x ORDER BY enterprise_uscc, category;
\if :has_history
select "record_id", "category", "natural_key", "fields", "version", "source_unit", "delivered_by", "batch_id", "source_line", "schema_version", "content_hash", event_date::text AS event_date, to_char(received_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS received_at, to_char(loaded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS loaded_at, to_char(superseded_at AT TIME ZONE 'UTC', replace('YYYY-MM-DD"T"HH24#MI#SS.MS"Z"', '#', ':')) AS superseded_at, "superseded_by_batch" from "credit_record_versions" where "subject_uscc" = :uscc order by "record_id" asc, "version" asc;
\endif
-- the access log append (store/access-log.ts, appendAccess): serialised by the advisory lock. One
-- transaction per request, as the service appends when requests do not overlap; under load the
-- service commits the entries that arrived meanwhile together (group commit, one multi-row insert)
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('credit-etl access_log append'));
select "seq" + 1 AS seq, "hash" AS prev, "key_id", encode(sha256(convert_to("hash" || :detail, 'UTF8')), 'hex') AS next from "access_log_head" limit 1 \gset
insert into "access_log" ("action", "actor_role", "actor_token_id", "actor_unit", "at", "detail", "enterprises", "hash", "key_id", "prev_hash", "request_id", "seq") values ('enterprise.read', 'analyst', :token_id, :institution, :at, :detail, ARRAY[:uscc], :next, :key_id, :prev, gen_random_uuid()::text, :seq);
INSERT INTO access_log_head (one, seq, hash, key_id) VALUES (true, :seq, :next, :key_id)
      ON CONFLICT (one) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, key_id = EXCLUDED.key_id;
COMMIT;
