"""Registers a client with pyoidc (the `oic` package), a third party's RFC 7591/7592 client, then gets a token with
what it registered.

pyoidc builds and checks the registration request (`create_registration_request`), parses and verifies the answer
(`handle_registration_info`: a RegistrationResponse with client_id, the secret's expiry beside the secret, and the
registration access token beside its URI), and reads the registration back (`registration_read`, RFC 7592). The
initial access token goes as RFC 6750 says, `Authorization: Bearer <token>`: pyoidc's own `register()` would
base64-encode a token that is not a JWT, which no other party expects.

Usage: register_with_pyoidc.py REGISTRATION_ENDPOINT TOKEN_ENDPOINT INITIAL_ACCESS_TOKEN
(INITIAL_ACCESS_TOKEN "-": none, for a tenant whose registration is open)
Prints one JSON object: client_id, token_status, scope, read_client_id.
"""
import json
import sys

import requests
from oic.oic import Client
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

registration_endpoint, token_endpoint, initial = sys.argv[1:4]
client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
request = client.create_registration_request(
    redirect_uris=["https://pyoidc.example/cb"], client_name="pyoidc", token_endpoint_auth_method="client_secret_basic")
# A machine client: OpenID Connect's default response type, code, would add authorization_code, which this server
# does not offer. RFC 7591's scope and software_id are not OpenID Connect registration parameters: set by hand.
del request["response_types"]
request["grant_types"] = ["client_credentials"]
request["scope"] = "read"
request["software_id"] = "pyoidc"
headers = {"Content-Type": "application/json"}
if initial != "-":
    headers["Authorization"] = f"Bearer {initial}"
answer = client.http_request(registration_endpoint, "POST", data=request.to_json(), headers=headers)
client.handle_registration_info(answer)
token = requests.post(
    token_endpoint, data={"grant_type": "client_credentials", "scope": "read"},
    auth=(client.client_id, client.client_secret), timeout=10)
read = client.registration_read()
print(json.dumps({
    "client_id": client.client_id, "token_status": token.status_code, "scope": token.json().get("scope"),
    "token_error": token.json().get("error_description"),
    "read_client_id": read["client_id"],
}))
