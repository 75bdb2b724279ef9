-- Token lifecycle: refresh tokens and their families, revocation, introspection, and a purge that drops
-- whole partitions instead of deleting rows.
--
-- Access and refresh tokens are partitioned by expiry time: a partition whose range has passed holds only
-- expired tokens and is dropped at once (no DELETE, no VACUUM of dead rows). Tokens carry their expiry day
-- (tsr_at_<day>.<random>), so a lookup by hash names its day and PostgreSQL prunes to one partition.
-- Partitions are made on demand by tessera_ensure_token_partition: one per UTC day for expiries within
-- 31 days, one per calendar month (from day 32 on) beyond, so a flood of odd lifetimes cannot make thousands.

ALTER TABLE access_tokens RENAME TO access_tokens_0003;
ALTER INDEX access_tokens_pkey RENAME TO access_tokens_0003_pkey;

CREATE TABLE access_tokens (
    tenant_id       bigint NOT NULL,
    token_hash      bytea NOT NULL CHECK (length(token_hash) = 32),
    expires_at      timestamptz NOT NULL,
    application_id  bigint NOT NULL,
    -- The end user (password and refresh grants); NULL for client credentials.
    user_id         bigint,
    -- The refresh token family the token was issued in; NULL when none. Revoking the family revokes it.
    family_id       bigint,
    subject         text NOT NULL,
    scopes          text[] NOT NULL,
    grant_type      text NOT NULL,
    issued_at       timestamptz NOT NULL,
    revoked_at      timestamptz,
    PRIMARY KEY (tenant_id, token_hash, expires_at)
) PARTITION BY RANGE (expires_at);

-- A refresh family: the chain of refresh tokens that one sign-in started. Each use rotates the refresh token;
-- presenting a used one again revokes the family, and with it every access token issued in it.
CREATE TABLE token_families (
    tenant_id       bigint NOT NULL,
    family_id       bigint GENERATED ALWAYS AS IDENTITY,
    application_id  bigint NOT NULL,
    user_id         bigint,
    created_at      timestamptz NOT NULL,
    -- The newest refresh token's expiry: after it the family is dead, and purge deletes it.
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    PRIMARY KEY (tenant_id, family_id)
);

CREATE TABLE refresh_tokens (
    tenant_id       bigint NOT NULL,
    token_hash      bytea NOT NULL CHECK (length(token_hash) = 32),
    expires_at      timestamptz NOT NULL,
    family_id       bigint NOT NULL,
    application_id  bigint NOT NULL,
    user_id         bigint,
    subject         text NOT NULL,
    scopes          text[] NOT NULL,
    issued_at       timestamptz NOT NULL,
    -- Set when the token was exchanged; a second exchange is a replay.
    used_at         timestamptz,
    revoked_at      timestamptz,
    PRIMARY KEY (tenant_id, token_hash, expires_at)
) PARTITION BY RANGE (expires_at);

-- Revoking every token of an application (and user) writes a watermark instead of touching token rows:
-- tokens issued at or before it are inactive. One row, whatever the number of tokens, and no index on the
-- token tables beyond their primary keys.
ALTER TABLE applications
    ADD COLUMN tokens_revoked_before  timestamptz,
    ADD COLUMN refresh_token_validity integer NOT NULL DEFAULT 1209600
        CHECK (refresh_token_validity BETWEEN 1 AND 315360000),
    -- A resource server: may introspect every token of its tenant, not only its own.
    ADD COLUMN introspect_any         boolean NOT NULL DEFAULT false;

CREATE TABLE user_token_revocations (
    tenant_id       bigint NOT NULL,
    application_id  bigint NOT NULL,
    user_id         bigint NOT NULL,
    revoked_before  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, application_id, user_id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, application_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);

-- Makes sure a partition of `parent` (access_tokens or refresh_tokens) covers `expires`, and returns its name.
-- Serialised by an advisory lock so that instances racing for the same day make one partition.
CREATE FUNCTION tessera_ensure_token_partition(parent text, expires timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    today       timestamptz := date_trunc('day', now(), 'UTC');
    day         timestamptz := date_trunc('day', expires, 'UTC');
    lower_bound timestamptz;
    upper_bound timestamptz;
    name        text;
BEGIN
    IF parent NOT IN ('access_tokens', 'refresh_tokens') THEN
        RAISE EXCEPTION 'not a token table: %', parent;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('tessera_token_partitions'));
    IF day <= today + interval '31 days' THEN
        lower_bound := day;
        upper_bound := day + interval '1 day';
        name := parent || '_d' || to_char(day AT TIME ZONE 'UTC', 'YYYYMMDD');
    ELSE
        -- A month, but never reaching into the daily range: days up to today + 31 may have partitions of
        -- their own, and a later daily one can never fall in here, because such days are covered already.
        lower_bound := greatest(date_trunc('month', expires, 'UTC'), today + interval '32 days');
        upper_bound := date_trunc('month', expires, 'UTC') + interval '1 month';
        name := parent || '_m' || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYYMMDD');
    END IF;
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       name, parent, lower_bound, upper_bound);
    EXCEPTION WHEN invalid_object_definition THEN
        -- Overlaps a partition made under other bounds (a month made earlier): that one covers the day.
        RETURN NULL;
    END;
    RETURN name;
END;
$$;

-- The partitions of the token tables with their upper bounds, for purge.
CREATE VIEW token_partitions AS
SELECT parent.relname::text AS parent,
       child.relname::text  AS partition,
       (regexp_match(pg_get_expr(child.relpartbound, child.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
                            AS upper_bound,
       i.inhdetachpending   AS detach_pending
FROM pg_inherits i
JOIN pg_class parent ON parent.oid = i.inhparent
JOIN pg_class child  ON child.oid = i.inhrelid
WHERE parent.relname IN ('access_tokens', 'refresh_tokens');

-- Tokens issued before this migration keep working until they expire.
DO $$
DECLARE
    expiry timestamptz;
BEGIN
    FOR expiry IN SELECT DISTINCT date_trunc('day', expires_at, 'UTC') FROM access_tokens_0003
                  WHERE expires_at > now() LOOP
        PERFORM tessera_ensure_token_partition('access_tokens', expiry);
    END LOOP;
END;
$$;

INSERT INTO access_tokens
    (tenant_id, token_hash, expires_at, application_id, user_id, subject, scopes, grant_type, issued_at)
SELECT tenant_id, token_hash, expires_at, application_id, user_id, subject, scopes, grant_type, issued_at
FROM access_tokens_0003 WHERE expires_at > now();

DROP TABLE access_tokens_0003;
