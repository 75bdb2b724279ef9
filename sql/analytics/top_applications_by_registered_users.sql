-- Top applications by registered users, across tenants (default 10).
-- Usage: psql "$DATABASE_URL" -v limit=5 -f sql/analytics/top_applications_by_registered_users.sql
\if :{?limit}
\else
\set limit 10
\endif
SELECT tenant, application, consumer_key, registered_users
FROM registered_users_per_application
WHERE registered_users > 0
ORDER BY registered_users DESC, tenant, application
LIMIT :limit;
