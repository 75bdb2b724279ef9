-- Who changed what (issue 16): every administrative change, made or refused, by the CLI ("cli") or later an admin
-- API client, with its tenant, operation, target and outcome. Never a secret or a password: targets are domains,
-- consumer keys, usernames and key ids. A change and its event commit together (AuditTrail).
CREATE TABLE audit_events (
    tenant_id  bigint      NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    event_id   bigint      GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    operation  text        NOT NULL CHECK (length(operation) BETWEEN 1 AND 64),
    target     text        NOT NULL CHECK (length(target) <= 600),
    outcome    text        NOT NULL CHECK (length(outcome) <= 600),
    PRIMARY KEY (tenant_id, event_id)
);

CREATE INDEX audit_events_by_time ON audit_events (tenant_id, at);
