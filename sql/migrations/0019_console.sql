-- The console (issue 17): users who administer their tenant, and the daily token counts its charts draw.

-- A user's roles in their tenant. 'tenant-admin' signs in to the console and administers the tenant through it, as a
-- client with the scope tessera:tenant-admin does through the admin API.
ALTER TABLE users
    ADD COLUMN roles text[] NOT NULL DEFAULT '{}'
        CONSTRAINT roles_known CHECK (roles <@ '{tenant-admin}'::text[]);

-- Token requests per application and UTC day: tokens issued (answered 200) and requests refused to an identified
-- application (a wrong secret, a grant or scope it may not have). Each server counts in memory and adds its counts
-- here every few seconds, so the charts never scan access_tokens; a server that crashes loses its last seconds of
-- counts, never a token.
CREATE TABLE token_days (
    tenant_id       bigint NOT NULL,
    application_id  bigint NOT NULL,
    day             date   NOT NULL,
    issued          bigint NOT NULL DEFAULT 0 CHECK (issued >= 0),
    failed          bigint NOT NULL DEFAULT 0 CHECK (failed >= 0),
    PRIMARY KEY (tenant_id, application_id, day),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, application_id) ON DELETE CASCADE
);

-- For analysts, as registered_user_facts: names resolved. The console's charts show these numbers.
CREATE VIEW token_days_per_application AS
SELECT t.domain AS tenant, a.name AS application, a.consumer_key, d.day, d.issued, d.failed
FROM token_days d
JOIN tenants t      ON t.tenant_id = d.tenant_id
JOIN applications a ON a.tenant_id = d.tenant_id AND a.application_id = d.application_id;
