-- A tenant's end users (the password grant), and the "registered users" of each application: the users who
-- got at least one password-grant token through it. registered_users is written in the same statement that
-- stores the token, and does not depend on access_tokens, whose expired rows get purged.

CREATE TABLE users (
    tenant_id       bigint NOT NULL REFERENCES tenants (tenant_id),
    user_id         bigint GENERATED ALWAYS AS IDENTITY,
    username        text NOT NULL CHECK (length(username) BETWEEN 1 AND 255),
    -- bcrypt ($2b$<cost>$...): the password itself is never stored.
    password_hash   text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

-- Usernames are unique per tenant, compared case-insensitively.
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, lower(username));

CREATE TABLE registered_users (
    tenant_id       bigint NOT NULL,
    application_id  bigint NOT NULL,
    user_id         bigint NOT NULL,
    first_token_at  timestamptz NOT NULL,
    last_token_at   timestamptz NOT NULL,
    token_count     bigint NOT NULL CHECK (token_count > 0),
    PRIMARY KEY (tenant_id, application_id, user_id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, application_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);

-- The user a token speaks for (password grant); NULL for client credentials.
ALTER TABLE access_tokens ADD COLUMN user_id bigint;
