-- The reuse key carries the kind of subject (issue 18).
--
-- A client-credentials token's subject is the application's consumer key, a password token's the username. With
-- one subject column a user whose username equals the consumer key had the same key as the application, and got
-- the application's token back. subject_kind ('client' or 'user') is now part of the primary key and of the seal
-- binding (TokenSealer). Rows stored before are dropped, not converted: their seal is bound to the old key and no
-- longer opens. The tokens themselves stay valid in access_tokens and are only no longer handed out again, so the
-- next matching request after the upgrade issues a new token.

DELETE FROM reusable_tokens;

ALTER TABLE reusable_tokens
    ADD COLUMN subject_kind text NOT NULL CHECK (subject_kind IN ('client', 'user')),
    DROP CONSTRAINT reusable_tokens_pkey,
    ADD PRIMARY KEY (tenant_id, application_id, subject_kind, subject, scope_key);

COMMENT ON COLUMN reusable_tokens.subject_kind IS
    'Whom the token speaks for: the application itself (subject is its consumer key) or a user (the username).';
