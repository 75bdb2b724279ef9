-- Registered users per application: users who got at least one password-grant token through it.
-- Usage: psql "$DATABASE_URL" -v tenant=acme.com -f sql/analytics/registered_users_per_application.sql
-- Without -v tenant=..., every tenant is listed.
\if :{?tenant}
\else
\set tenant ''
\endif
SELECT tenant, application, consumer_key, registered_users, active_30_days, first_seen, last_seen
FROM registered_users_per_application
WHERE :'tenant' = '' OR tenant = :'tenant'
ORDER BY tenant, application;
