-- A refresh family lives as long as the longest-lived of its tokens (issue 18).
--
-- An access token issued in a family is inactive through the family's revoked_at, and purge deletes a family
-- once its expires_at has passed. Until now expires_at was its newest refresh token's expiry, so an access token
-- that outlived its refresh tokens (an access lifetime or validity_period beyond the application's refresh
-- validity) outlived its family too, and once purge deleted a revoked family the token read as active again.
-- From this version on, starting and rotating a family set expires_at to the latest expiry of any token issued
-- in it, never lowering it; this brings the families already stored up to that rule. Only live partitions are
-- read (the expiry bound prunes the rest), once, with one aggregate.
UPDATE token_families f
SET expires_at = live.latest
FROM (SELECT tenant_id, family_id, max(expires_at) AS latest
      FROM access_tokens
      WHERE family_id IS NOT NULL AND expires_at > now()
      GROUP BY tenant_id, family_id) live
WHERE f.tenant_id = live.tenant_id AND f.family_id = live.family_id AND f.expires_at < live.latest;

COMMENT ON COLUMN token_families.expires_at IS
    'The latest expiry of any token issued in the family, refresh or access: purge deletes the family after it.';
