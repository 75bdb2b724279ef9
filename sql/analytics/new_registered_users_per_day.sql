-- New registered users per day and application: the day of each user's first token through it (UTC).
-- Usage: psql "$DATABASE_URL" -v tenant=acme.com -f sql/analytics/new_registered_users_per_day.sql
\if :{?tenant}
\else
\set tenant ''
\endif
SELECT tenant, (first_token_at AT TIME ZONE 'UTC')::date AS day, application, count(*) AS new_registered_users
FROM registered_user_facts
WHERE :'tenant' = '' OR tenant = :'tenant'
GROUP BY tenant, day, application
ORDER BY tenant, day, application;
