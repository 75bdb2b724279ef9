-- Client authentication per application (issue 14): which methods a client may use, and for private_key_jwt the
-- public keys its assertions are signed with, plus the assertion ids already used.
--
-- auth_methods defaults to the two secret methods every application allowed before. client_jwks is a JWK set of
-- public keys as the operator registered it (the server parses and checks it; a private key is refused).

ALTER TABLE applications
    ADD COLUMN auth_methods text[] NOT NULL DEFAULT '{client_secret_basic,client_secret_post}',
    ADD COLUMN client_jwks text,
    ADD CONSTRAINT auth_methods_known CHECK (
        auth_methods <@ '{client_secret_basic,client_secret_post,private_key_jwt}'::text[]
        AND cardinality(auth_methods) > 0),
    ADD CONSTRAINT private_key_jwt_has_keys CHECK (
        NOT ('private_key_jwt' = ANY (auth_methods)) OR client_jwks IS NOT NULL);

-- One row per accepted assertion, kept until it expires: an assertion is single-use on every server instance.
-- The key starts with tenant_id like every other. Purge deletes expired rows through the index on expires_at.
CREATE TABLE used_client_assertions (
    tenant_id      bigint      NOT NULL,
    application_id bigint      NOT NULL,
    jti_hash       bytea       NOT NULL,
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, application_id, jti_hash),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, application_id) ON DELETE CASCADE
);

CREATE INDEX used_client_assertions_expiry ON used_client_assertions (expires_at);

COMMENT ON COLUMN applications.auth_methods IS
    'How the client may authenticate: client_secret_basic, client_secret_post, private_key_jwt (RFC 7591 names).';
COMMENT ON COLUMN applications.client_jwks IS
    'The JWK set (public keys only) that private_key_jwt assertions are verified with.';
COMMENT ON TABLE used_client_assertions IS
    'SHA-256 of each accepted client assertion''s jti, until the assertion expires: a second use is a replay.';
