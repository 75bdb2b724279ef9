-- A client's public keys for private_key_jwt may be published by the client at a URL (RFC 7591 jwks_uri) that the
-- server fetches and caches, instead of registered as a set: a client then rotates its keys without asking anyone.
-- One or the other, never both; private_key_jwt needs one of them.
ALTER TABLE applications
    ADD COLUMN client_jwks_uri text CHECK (length(client_jwks_uri) <= 2000),
    ADD CONSTRAINT applications_one_key_source CHECK (client_jwks IS NULL OR client_jwks_uri IS NULL),
    DROP CONSTRAINT private_key_jwt_has_keys,
    ADD CONSTRAINT private_key_jwt_has_keys CHECK (
        NOT ('private_key_jwt' = ANY (auth_methods)) OR client_jwks IS NOT NULL OR client_jwks_uri IS NOT NULL);
