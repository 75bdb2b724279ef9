-- Token partitions without routine autovacuum.
--
-- A token partition only receives inserts (and a few revocations) until purge drops it whole, so routine
-- autovacuum has nothing to reclaim; what it does do is scan the partition again each time it has grown by a
-- fifth (the insert-triggered vacuum, then an analyze), on the database that serves the tokens. Seen on 2 cores:
-- such a vacuum and analyze ran two seconds into a run of client credentials at a fixed 5,000 tokens/s, whose
-- p99 was 42 ms; runs without one were at 6 to 10 ms (the tail has other causes too). Lookups go by primary key
-- in a fixed order (see TokenSQL.joins), so the planner needs no statistics of these partitions.
-- PostgreSQL still runs its anti-wraparound vacuums whatever this setting, and the dead rows that revocations
-- leave go with their partition.

CREATE OR REPLACE FUNCTION tessera_ensure_token_partition(parent text, expires timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    today       timestamptz := date_trunc('day', now(), 'UTC');
    day         timestamptz := date_trunc('day', expires, 'UTC');
    lower_bound timestamptz;
    upper_bound timestamptz;
    name        text;
BEGIN
    IF parent NOT IN ('access_tokens', 'refresh_tokens') THEN
        RAISE EXCEPTION 'not a token table: %', parent;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('tessera_token_partitions'));
    IF day <= today + interval '31 days' THEN
        lower_bound := day;
        upper_bound := day + interval '1 day';
        name := parent || '_d' || to_char(day AT TIME ZONE 'UTC', 'YYYYMMDD');
    ELSE
        -- A month, but never reaching into the daily range: days up to today + 31 may have partitions of
        -- their own, and a later daily one can never fall in here, because such days are covered already.
        lower_bound := greatest(date_trunc('month', expires, 'UTC'), today + interval '32 days');
        upper_bound := date_trunc('month', expires, 'UTC') + interval '1 month';
        name := parent || '_m' || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYYMMDD');
    END IF;
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L) '
                       'WITH (autovacuum_enabled = false)',
                       name, parent, lower_bound, upper_bound);
    EXCEPTION WHEN invalid_object_definition THEN
        -- Overlaps a partition made under other bounds (a month made earlier): that one covers the day.
        RETURN NULL;
    END;
    RETURN name;
END;
$$;

DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT partition FROM token_partitions LOOP
        EXECUTE format('ALTER TABLE %I SET (autovacuum_enabled = false)', p.partition);
    END LOOP;
END;
$$;
