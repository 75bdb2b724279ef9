-- Tokens issued and requests refused per day and application (UTC), as the console's charts draw them.
-- Usage: psql "$DATABASE_URL" -v tenant=acme.com -f sql/analytics/tokens_per_day.sql
\if :{?tenant}
\else
\set tenant ''
\endif
SELECT tenant, day, application, consumer_key, issued, failed
FROM token_days_per_application
WHERE (:'tenant' = '' OR tenant = :'tenant') AND day > current_date - 30
ORDER BY tenant, day, application;
