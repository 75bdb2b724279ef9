#!/usr/bin/env python3
"""private_key_jwt client assertions made by a third-party JOSE library (PyJWT, with `cryptography`), so that the
server's verifier is tested against tokens it did not make itself (issue 14, Deliver item 7).

    client_assertion.py keygen ALG DIR
        makes a key pair for ALG (ES256, EdDSA, RS256 or PS256): DIR/private.pem, and DIR/jwks.json, the public JWK
        set to register with `tessera app create --jwks-file` (kid = the algorithm's name in lower case)
    client_assertion.py sign ALG DIR CLIENT AUDIENCE [--lifetime SECONDS] [--jti JTI] [--kid KID]
        prints an assertion: iss = sub = CLIENT, aud = AUDIENCE, a fresh jti, iat now, exp now + lifetime (60 s)

Install: python3 -m pip install PyJWT==2.10.1 (deploy/test.sh does).
"""
import argparse
import json
import pathlib
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm


def keygen(algorithm: str, folder: pathlib.Path) -> None:
    if algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
        jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif algorithm in ("RS256", "PS256"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        raise SystemExit(f"unknown algorithm {algorithm}")
    jwk["kid"] = algorithm.lower()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "private.pem").write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "jwks.json").write_text(json.dumps({"keys": [jwk]}))


def sign(algorithm: str, folder: pathlib.Path, client: str, audience: str, lifetime: int, jti: str, kid: str) -> str:
    now = int(time.time())
    claims = {"iss": client, "sub": client, "aud": audience, "jti": jti, "iat": now, "exp": now + lifetime}
    key = (folder / "private.pem").read_bytes()
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("keygen")
    make.add_argument("algorithm")
    make.add_argument("folder", type=pathlib.Path)
    signing = commands.add_parser("sign")
    signing.add_argument("algorithm")
    signing.add_argument("folder", type=pathlib.Path)
    signing.add_argument("client")
    signing.add_argument("audience")
    signing.add_argument("--lifetime", type=int, default=60)
    signing.add_argument("--jti", default=None)
    signing.add_argument("--kid", default=None)
    arguments = parser.parse_args()
    if arguments.command == "keygen":
        keygen(arguments.algorithm, arguments.folder)
    else:
        print(sign(arguments.algorithm, arguments.folder, arguments.client, arguments.audience, arguments.lifetime,
                   arguments.jti or str(uuid.uuid4()), arguments.kid or arguments.algorithm.lower()))


if __name__ == "__main__":
    main()
