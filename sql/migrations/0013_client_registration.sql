-- Dynamic client registration (issue 16, RFC 7591/7592). An administrator makes initial access tokens, each good for
-- a number of registrations until it expires; each client registered with one gets a registration access token to
-- read or delete its registration. Only SHA-256 hashes of either token are kept. A client's redirect URIs are kept
-- as registered, for the authorization code grant (issue 21); nothing uses them before it.
CREATE TABLE registration_tokens (
    tenant_id   bigint      NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL,
    uses_left   integer     NOT NULL CHECK (uses_left >= 0),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, token_hash)
);

ALTER TABLE applications
    ADD COLUMN registration_token_hash bytea,
    ADD COLUMN software_id text CHECK (length(software_id) <= 200),
    ADD COLUMN software_version text CHECK (length(software_version) <= 200),
    ADD COLUMN redirect_uris text[] NOT NULL DEFAULT '{}' CHECK (cardinality(redirect_uris) <= 20);
