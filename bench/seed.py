#!/usr/bin/env python3
"""Generate benchmark tenants and applications for a bulk COPY, and the credentials wrk sends.

    bench/seed.py OUTDIR [--tenants 10000] [--apps-per-tenant 2] [--domain-suffix many.bench.test]

Writes, in OUTDIR:
  tenants.csv       domain
  applications.csv  domain, consumer_key, secret_hash, name  (secret_hash as the server stores it)
  credentials.tsv   /t/<domain>/token <TAB> Basic base64(key:secret)   (one line per application, for token.lua)

Secrets are stored exactly as Sources/TesseraCore/SecretHash.swift does:
hmac-sha256$<base64 16-byte salt>$<base64 HMAC-SHA256(key: salt, message: secret)>.
Keys are 28 alphanumerics and secrets 32 URL-safe characters, like the CLI's.
"""
import argparse
import base64
import csv
import hashlib
import hmac
import os
import secrets
import string

ALPHANUMERICS = string.ascii_letters + string.digits


def secret_hash(secret: str) -> str:
    salt = secrets.token_bytes(16)
    mac = hmac.new(salt, secret.encode(), hashlib.sha256).digest()
    return "hmac-sha256$%s$%s" % (base64.b64encode(salt).decode(), base64.b64encode(mac).decode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--apps-per-tenant", type=int, default=2)
    parser.add_argument("--domain-suffix", default="many.bench.test")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    width = len(str(args.tenants))
    with open(os.path.join(args.outdir, "tenants.csv"), "w", newline="") as tenants, \
            open(os.path.join(args.outdir, "applications.csv"), "w", newline="") as applications, \
            open(os.path.join(args.outdir, "credentials.tsv"), "w") as credentials:
        tenant_rows, application_rows = csv.writer(tenants), csv.writer(applications)
        for t in range(args.tenants):
            domain = "t%0*d.%s" % (width, t, args.domain_suffix)
            tenant_rows.writerow([domain])
            for a in range(args.apps_per_tenant):
                key = "".join(secrets.choice(ALPHANUMERICS) for _ in range(28))
                secret = secrets.token_urlsafe(24)
                application_rows.writerow([domain, key, secret_hash(secret), "bench-%d" % a])
                basic = base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()
                credentials.write("/t/%s/token\tBasic %s\n" % (domain, basic))


if __name__ == "__main__":
    main()
