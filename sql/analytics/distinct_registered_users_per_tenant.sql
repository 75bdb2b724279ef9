-- Distinct registered users per tenant: a user registered with several applications counts once.
-- Usage: psql "$DATABASE_URL" -f sql/analytics/distinct_registered_users_per_tenant.sql
SELECT tenant, count(DISTINCT username) AS registered_users
FROM registered_user_facts
GROUP BY tenant
ORDER BY tenant;
