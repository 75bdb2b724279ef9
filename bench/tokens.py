#!/usr/bin/env python3
"""Issue client-credentials tokens and write introspection request lines for token.lua.

    bench/tokens.py BASE_URL CC_CREDENTIALS_TSV INTROSPECTOR_APP_JSON COUNT > introspect.tsv

CC_CREDENTIALS_TSV is a one-line "<token path>\\t<Authorization>" file (seed_one); INTROSPECTOR_APP_JSON is
`tessera app create --json` of an application created with --introspect-any. Each output line is
"<introspect path>\\tBasic <introspector>\\ttoken=<token>".
"""
import base64
import http.client
import json
import sys
import urllib.parse

base, credentials, introspector, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
path, authorization = open(credentials).readline().rstrip("\n").split("\t")[:2]
app = json.load(open(introspector))
basic = base64.b64encode(("%s:%s" % (app["consumer_key"], app["consumer_secret"])).encode()).decode()
introspect_path = path.rsplit("/", 1)[0] + "/introspect"
url = urllib.parse.urlsplit(base)
connection = http.client.HTTPConnection(url.hostname, url.port)
headers = {"Authorization": authorization, "Content-Type": "application/x-www-form-urlencoded"}
for _ in range(count):
    connection.request("POST", path, body="grant_type=client_credentials", headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit("tokens.py: POST %s answered %d: %s" % (path, response.status, body[:200]))
    print("%s\tBasic %s\ttoken=%s" % (introspect_path, basic, json.loads(body)["access_token"]))
