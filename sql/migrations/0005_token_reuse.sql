-- Token reuse (per application): with 'active', a client-credentials or password request that matches a live
-- token of the same application, subject and scopes gets that token back, unless fewer than
-- reuse_min_remaining seconds remain.
--
-- The token itself must be handed out again, yet a copy of the database alone must not be enough to use any
-- token: reusable_tokens keeps it sealed (AES-GCM) under a key that only the servers hold (TESSERA_TOKEN_KEY).
-- One row per (application, subject, scopes): instances racing on a burst claim the row with one
-- INSERT ... ON CONFLICT, so a burst makes one token, never duplicates.

ALTER TABLE applications
    ADD COLUMN token_reuse          text NOT NULL DEFAULT 'never' CHECK (token_reuse IN ('never', 'active')),
    ADD COLUMN reuse_min_remaining  integer NOT NULL DEFAULT 60 CHECK (reuse_min_remaining >= 0);

CREATE TABLE reusable_tokens (
    tenant_id       bigint NOT NULL,
    application_id  bigint NOT NULL,
    subject         text NOT NULL,
    -- The token's scopes, sorted and space-joined.
    scope_key       text NOT NULL,
    token_hash      bytea NOT NULL CHECK (length(token_hash) = 32),
    -- nonce || ciphertext || tag of the token under the servers' key, bound to the four key columns.
    sealed_token    bytea NOT NULL,
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, application_id, subject, scope_key),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, application_id)
);
