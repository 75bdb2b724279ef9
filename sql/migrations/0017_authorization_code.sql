-- The authorization code grant (issue 21): public clients, browser sessions of tenant users, remembered consents,
-- and the codes themselves. Every key starts with tenant_id; every foreign key includes it.

-- Public clients (RFC 6749 §2.1) authenticate with 'none': alone, never beside a method that proves the client.
ALTER TABLE applications
    DROP CONSTRAINT auth_methods_known,
    ADD CONSTRAINT auth_methods_known CHECK (
        auth_methods <@ '{client_secret_basic,client_secret_post,private_key_jwt,none}'::text[]
        AND cardinality(auth_methods) > 0
        AND (NOT ('none' = ANY (auth_methods)) OR cardinality(auth_methods) = 1));

-- A signed-in browser, known by the SHA-256 of its cookie's value: a copy of the table signs no one in. Purge
-- deletes expired sessions.
CREATE TABLE browser_sessions (
    tenant_id     bigint      NOT NULL,
    session_hash  bytea       NOT NULL,
    user_id       bigint      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, session_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX browser_sessions_expiry ON browser_sessions (expires_at);
CREATE INDEX browser_sessions_user ON browser_sessions (tenant_id, user_id);

-- What a user allowed an application, remembered until the user or an administrator revokes it: a request within
-- it is not asked again.
CREATE TABLE consents (
    tenant_id       bigint      NOT NULL,
    user_id         bigint      NOT NULL,
    application_id  bigint      NOT NULL,
    scopes          text[]      NOT NULL,
    resources       text[]      NOT NULL,
    granted_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, application_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, application_id) ON DELETE CASCADE
);
CREATE INDEX consents_application ON consents (tenant_id, application_id);

-- An authorization code, by the SHA-256 of the code, bound to everything the token request must match. used_at
-- makes it single-use; issued_tokens names what it was exchanged for ('at:<hash hex>:<expiry day>', 'rt:...'), so
-- that a second use revokes them. Purge deletes codes a day after they expire (a replay that late finds nothing
-- to revoke that has not expired or rotated).
CREATE TABLE authorization_codes (
    tenant_id       bigint      NOT NULL,
    code_hash       bytea       NOT NULL,
    application_id  bigint      NOT NULL,
    user_id         bigint      NOT NULL,
    redirect_uri    text        CHECK (length(redirect_uri) <= 2000),
    code_challenge  text        NOT NULL CHECK (length(code_challenge) = 43),
    scopes          text[]      NOT NULL,
    resources       text[]      NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    replayed_at     timestamptz,
    issued_tokens   text[]      NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, code_hash),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, application_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
