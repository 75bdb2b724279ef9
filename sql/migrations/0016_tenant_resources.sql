-- The resources a tenant protects (issue 21): its APIs and MCP servers, each an RFC 8707 resource indicator with a
-- name the consent page shows. Public clients and clients known by a metadata document may ask for any of them,
-- subject to the user's consent; an application created with --resources stays limited to its own.
CREATE TABLE tenant_resources (
    tenant_id   bigint      NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    uri         text        NOT NULL CHECK (length(uri) <= 2048),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, uri)
);
