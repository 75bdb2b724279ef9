-- JWT access tokens (RFC 9068), resource indicators (RFC 8707) and the tenants' signing keys (issue 13).

-- How an application's access tokens are written, and the resources its tokens may be for (all of them when a
-- request names none). Resources are absolute URIs: no space, so a space-joined text round-trips.
ALTER TABLE applications
    ADD COLUMN token_format text NOT NULL DEFAULT 'opaque' CHECK (token_format IN ('opaque', 'jwt')),
    ADD COLUMN resources text[] NOT NULL DEFAULT '{}' CHECK (cardinality(resources) <= 64);

-- The audience of each token as issued (NULL: none), so that introspection reports it and a refresh never widens it.
ALTER TABLE access_tokens ADD COLUMN audience text[];
ALTER TABLE refresh_tokens ADD COLUMN audience text[];

-- A reusable token is for one audience too: requests for other resources get their own token.
ALTER TABLE reusable_tokens ADD COLUMN audience_key text NOT NULL DEFAULT '';
ALTER TABLE reusable_tokens DROP CONSTRAINT reusable_tokens_pkey;
ALTER TABLE reusable_tokens
    ADD PRIMARY KEY (tenant_id, application_id, subject_kind, subject, scope_key, audience_key);

-- Each tenant's signing keys. The private key is sealed (AES-256-GCM) under the server key, which the database does
-- not hold: a copy of this table cannot sign. The timeline (created -> activates -> a later key activates or
-- retired_at) is read by every instance the same way; see SigningKeyTimeline.
CREATE TABLE signing_keys (
    tenant_id          bigint      NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kid                text        NOT NULL CHECK (length(kid) BETWEEN 1 AND 64),
    algorithm          text        NOT NULL CHECK (algorithm IN ('ES256', 'EdDSA', 'RS256')),
    public_jwk         text        NOT NULL CHECK (length(public_jwk) <= 4096),
    sealed_private_key bytea       NOT NULL,
    created_at         timestamptz NOT NULL,
    activates_at       timestamptz NOT NULL CHECK (activates_at >= created_at),
    retired_at         timestamptz,
    PRIMARY KEY (tenant_id, kid)
);

-- Servers keep the keys in memory: a change tells them to forget the tenant's, as for applications.
CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION tessera_notify_directory_change();

COMMENT ON COLUMN applications.token_format IS 'opaque (tsr_at_ reference) or jwt (RFC 9068, signed).';
COMMENT ON COLUMN applications.resources IS 'RFC 8707 resources the application''s tokens may be for.';
COMMENT ON COLUMN access_tokens.audience IS 'The resources the token is for (its aud); NULL when none.';
COMMENT ON TABLE signing_keys IS
    'Per-tenant JWT signing keys; private keys sealed under the server key, which the database never sees.';
