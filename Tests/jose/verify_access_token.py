#!/usr/bin/env python3
"""Verifies a Tessera JWT access token the way a resource server would, with a third-party JOSE library (PyJWT):
the key set fetched from the tenant's jwks URL, the signature by the key the header names, `typ` at+jwt (RFC 9068
§4), `iss`, `aud` and `exp`. Prints the claims as JSON; exits 1 with the reason when the token does not verify.

    verify_access_token.py TOKEN JWKS_URL ISSUER AUDIENCE

Install: python3 -m pip install 'PyJWT[crypto]==2.10.1' (deploy/test.sh does).
"""
import json
import sys

import jwt


def main() -> int:
    token, jwks_url, issuer, audience = sys.argv[1:5]
    header = jwt.get_unverified_header(token)
    if header.get("typ") != "at+jwt":
        print(f"typ is {header.get('typ')!r}, not at+jwt", file=sys.stderr)
        return 1
    # No cache: each run fetches the set as it is now, as a verifier whose cached copy just expired would.
    keys = jwt.PyJWKClient(jwks_url, cache_jwk_set=False, cache_keys=False)
    try:
        key = keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key, algorithms=["ES256", "EdDSA", "RS256"], issuer=issuer, audience=audience,
            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]})
    except jwt.PyJWTError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"header": header, "claims": claims}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
