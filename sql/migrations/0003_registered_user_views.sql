-- Views for analysts: registered users with their tenant, application and user names resolved.
-- Queries in sql/analytics use these; `tessera stats registered-users` reports the same numbers.

CREATE VIEW registered_user_facts AS
SELECT t.domain          AS tenant,
       a.name            AS application,
       a.consumer_key,
       u.username,
       u.enabled         AS user_enabled,
       r.first_token_at,
       r.last_token_at,
       r.token_count
FROM registered_users r
JOIN tenants t      ON t.tenant_id = r.tenant_id
JOIN applications a ON a.tenant_id = r.tenant_id AND a.application_id = r.application_id
JOIN users u        ON u.tenant_id = r.tenant_id AND u.user_id = r.user_id;

-- One row per application, those without registered users included (with 0).
CREATE VIEW registered_users_per_application AS
SELECT t.domain                                                              AS tenant,
       a.name                                                                AS application,
       a.consumer_key,
       count(r.user_id)                                                      AS registered_users,
       count(r.user_id) FILTER (WHERE r.last_token_at > now() - interval '30 days') AS active_30_days,
       min(r.first_token_at)                                                 AS first_seen,
       max(r.last_token_at)                                                  AS last_seen
FROM applications a
JOIN tenants t ON t.tenant_id = a.tenant_id
LEFT JOIN registered_users r ON r.tenant_id = a.tenant_id AND r.application_id = a.application_id
GROUP BY t.domain, a.name, a.consumer_key;
