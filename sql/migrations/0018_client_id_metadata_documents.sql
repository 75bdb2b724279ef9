-- Client ID Metadata Documents (issue 21): a client whose client_id is the https URL of its metadata document, as
-- MCP clients use it. Each tenant decides whether it accepts such clients (on unless an administrator turns it off:
-- such a client gets nothing without a signed-in user's consent, and is shown as unverified) and which scopes they
-- may ask for (none until set).
ALTER TABLE tenants
    ADD COLUMN client_documents boolean NOT NULL DEFAULT true,
    ADD COLUMN client_document_scopes text[] NOT NULL DEFAULT '{}' CHECK (cardinality(client_document_scopes) <= 100);

-- A client known by its document is kept as an application whose consumer_key is the document's URL, so that codes,
-- consents, tokens and statistics refer to it like any other; the server rewrites the row from the document when the
-- document changes. metadata_document marks it: its name and redirect URIs are the client's own claims.
ALTER TABLE applications
    ADD COLUMN metadata_document boolean NOT NULL DEFAULT false;
