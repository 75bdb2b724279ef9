-- Open dynamic client registration (issue 16, RFC 7591 §3 without an initial access token). Closed unless an
-- administrator opens it for a tenant, and then only for the scopes listed (NULL: closed) and for at most
-- open_registrations_per_hour clients an hour across every server, counted from the clients themselves.
ALTER TABLE tenants
    ADD COLUMN open_registration_scopes text[] CHECK (cardinality(open_registration_scopes) BETWEEN 1 AND 100),
    ADD COLUMN open_registrations_per_hour integer NOT NULL DEFAULT 20
        CHECK (open_registrations_per_hour BETWEEN 1 AND 10000);

ALTER TABLE applications ADD COLUMN registered_openly boolean NOT NULL DEFAULT false;

-- The hourly count reads only the tenant's recent open registrations.
CREATE INDEX applications_open_registrations ON applications (tenant_id, created_at) WHERE registered_openly;
