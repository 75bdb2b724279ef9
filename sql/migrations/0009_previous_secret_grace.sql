-- Secret rotation with overlap (issue 14): `app rotate-secret --grace DURATION` keeps the secret it replaces valid
-- until previous_secret_expires_at, so that every replica of a client can move to the new one without downtime.
--
-- At most two secrets are valid at a time, the current and the one it replaced: a client fleet moves from one
-- secret to the next, and a third would only widen what a leak exposes. Rotating again replaces the previous one.
-- Servers compare the expiry with their clock when a client authenticates, so an expired secret stops working on
-- every instance at the same moment without any notification; the purge then clears the columns.

ALTER TABLE applications
    ADD COLUMN previous_secret_hash text,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD COLUMN secret_created_at timestamptz,
    ADD CONSTRAINT previous_secret_complete
        CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL));

-- Until now a secret was only ever replaced in place: the application's creation is the best date there is.
UPDATE applications SET secret_created_at = created_at;

ALTER TABLE applications
    ALTER COLUMN secret_created_at SET NOT NULL,
    ALTER COLUMN secret_created_at SET DEFAULT now();

COMMENT ON COLUMN applications.previous_secret_hash IS
    'The secret the last rotation with a grace period replaced (same format as secret_hash), valid until previous_secret_expires_at.';
