-- Tenants, their applications (OAuth clients), and issued access tokens.
-- Every primary key starts with tenant_id so that the tables can be distributed by tenant (Citus).

CREATE TABLE tenants (
    tenant_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain      text NOT NULL UNIQUE CHECK (domain = lower(domain) AND length(domain) BETWEEN 1 AND 253),
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE applications (
    tenant_id               bigint NOT NULL REFERENCES tenants (tenant_id),
    application_id          bigint GENERATED ALWAYS AS IDENTITY,
    consumer_key            text NOT NULL CHECK (length(consumer_key) BETWEEN 1 AND 512),
    -- hmac-sha256$<salt>$<mac>: the secret itself is never stored.
    secret_hash             text NOT NULL,
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    grant_types             text[] NOT NULL CHECK (cardinality(grant_types) > 0),
    allowed_scopes          text[] NOT NULL,
    default_scopes          text[] NOT NULL CHECK (default_scopes <@ allowed_scopes),
    default_token_validity  integer NOT NULL CHECK (default_token_validity > 0),
    max_token_validity      integer NOT NULL CHECK (max_token_validity >= default_token_validity),
    enabled                 boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, application_id),
    UNIQUE (tenant_id, consumer_key),
    UNIQUE (tenant_id, name)
);

-- One row per issued token, keyed by the SHA-256 of the token: the token itself is never stored.
-- No foreign key to applications on purpose: its check would take a share lock on the application's row
-- for every insert, and concurrent token requests of one application would queue on that row.
CREATE TABLE access_tokens (
    tenant_id       bigint NOT NULL,
    token_hash      bytea NOT NULL CHECK (length(token_hash) = 32),
    application_id  bigint NOT NULL,
    subject         text NOT NULL,
    scopes          text[] NOT NULL,
    grant_type      text NOT NULL,
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, token_hash)
);

-- Servers cache tenants and applications in memory; a change to either tells them to forget that tenant.
-- The payload is the tenant id only: no secret or hash ever travels on the channel.
CREATE FUNCTION tessera_notify_directory_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('tessera_directory', OLD.tenant_id::text);
    ELSE
        PERFORM pg_notify('tessera_directory', NEW.tenant_id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION tessera_notify_directory_change();

CREATE TRIGGER applications_changed AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION tessera_notify_directory_change();
