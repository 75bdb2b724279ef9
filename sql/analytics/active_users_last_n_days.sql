-- Active users: distinct registered users with a token in the last N days (default 30), per tenant.
-- Usage: psql "$DATABASE_URL" -v days=7 -f sql/analytics/active_users_last_n_days.sql
\if :{?days}
\else
\set days 30
\endif
SELECT tenant, count(DISTINCT username) AS active_users
FROM registered_user_facts
WHERE last_token_at > now() - make_interval(days => :days)
GROUP BY tenant
ORDER BY tenant;
