#!/usr/bin/env python3
"""The authorization code flow with PKCE through a third party's client library (Authlib's OAuth2Session), the
browser's part played over HTTP with a cookie jar: sign-in and consent forms are read from the pages and posted back
as a browser would. Prints one JSON object of what happened, for the Swift end-to-end test to judge.

usage: authorization_code_with_authlib.py ISSUER CLIENT_ID REDIRECT_URI USERNAME PASSWORD SCOPE RESOURCE
"""
import json
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

# Seconds an answer may take. Signing in hashes the password on threads that run only when the CPU is otherwise idle
# (the server keeps bcrypt off the token path), so on a machine the whole test suite saturates it can take long.
TIMEOUT = 120


class Forms(HTMLParser):
    """The page's forms: their fields (hidden inputs, and the submit buttons' name and value)."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.labels = set()

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "form":
            self.forms.append({"method": attributes.get("method"), "fields": {}, "buttons": []})
        elif tag == "input" and self.forms:
            if attributes.get("type") == "hidden":
                self.forms[-1]["fields"].setdefault(attributes["name"], []).append(attributes.get("value", ""))
        elif tag == "button" and self.forms and attributes.get("name"):
            self.forms[-1]["buttons"].append((attributes["name"], attributes.get("value", "")))
        elif tag == "label":
            self.labels.add(attributes.get("for"))


def forms_of(page):
    parser = Forms()
    parser.feed(page)
    return parser


def post_form(browser, url, form, extra):
    data = [(name, value) for name, values in form["fields"].items() for value in values]
    data += list(extra.items())
    return browser.post(url, data=data, allow_redirects=False, timeout=TIMEOUT)


def main():
    issuer, client_id, redirect_uri, username, password, scope, resource = sys.argv[1:8]
    result = {}
    metadata = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    result["metadata"] = {
        name: metadata.get(name)
        for name in [
            "authorization_endpoint", "response_types_supported", "code_challenge_methods_supported",
            "authorization_response_iss_parameter_supported", "token_endpoint_auth_methods_supported",
        ]
    }
    client = OAuth2Session(
        client_id, redirect_uri=redirect_uri, scope=scope, code_challenge_method="S256",
        token_endpoint_auth_method="none")
    verifier = generate_token(64)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, resource=resource)

    browser = requests.Session()
    page = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    result["sign_in_status"] = page.status_code
    result["sign_in_csp"] = page.headers.get("Content-Security-Policy", "")
    result["set_cookie"] = page.headers.get("Set-Cookie", "")
    sign_in = forms_of(page.text)
    if not sign_in.forms:
        sys.exit(f"no sign-in form: {page.status_code} {page.text}")
    result["sign_in_labels"] = sorted(label for label in sign_in.labels if label)
    # A wrong password first: the same page again, with an error.
    wrong = post_form(browser, url, sign_in.forms[0], {"username": username, "password": password + "x"})
    result["wrong_password_status"] = wrong.status_code
    consent = post_form(browser, url, forms_of(wrong.text).forms[0], {"username": username, "password": password})
    result["consent_status"] = consent.status_code
    result["consent_mentions_resource"] = resource in consent.text
    result["consent_unverified"] = "unverified" in consent.text
    approve_form = forms_of(consent.text).forms[0]
    answer = post_form(browser, url, approve_form, {"action": "approve"})
    result["approve_status"] = answer.status_code
    location = answer.headers["Location"]
    query = parse_qs(urlparse(location).query)
    result["redirect_iss"] = query.get("iss", [None])[0]
    result["redirect_state_matches"] = query.get("state", [None])[0] == state
    result["redirect_starts_with"] = location.startswith(redirect_uri)

    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier, resource=resource)
    result["token"] = {name: token.get(name) for name in ["token_type", "scope", "expires_in"]}
    result["access_token"] = token["access_token"]
    result["has_refresh_token"] = "refresh_token" in token

    # The same code again: refused, and (the server says) the tokens it gave are revoked.
    code = query["code"][0]
    replay = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
              "code_verifier": verifier, "client_id": client_id},
        timeout=TIMEOUT)
    result["replay_status"] = replay.status_code
    result["replay_error"] = replay.json().get("error")

    # A second authorization: the consent is remembered, so the browser goes straight back with a code.
    verifier2 = generate_token(64)
    url2, state2 = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier2, resource=resource)
    again = browser.get(url2, allow_redirects=False, timeout=TIMEOUT)
    result["remembered_status"] = again.status_code
    token2 = client.fetch_token(
        metadata["token_endpoint"], authorization_response=again.headers.get("Location", ""),
        code_verifier=verifier2, resource=resource)
    result["access_token_2"] = token2["access_token"]
    refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=token2["refresh_token"])
    result["refreshed"] = "access_token" in refreshed and refreshed["refresh_token"] != token2["refresh_token"]

    # A public client revokes its own token with its client_id alone (RFC 7009 §2.1).
    revocation = requests.post(metadata["revocation_endpoint"],
                               data={"token": refreshed["access_token"], "client_id": client_id}, timeout=TIMEOUT)
    result["public_revoke_status"] = revocation.status_code
    result["revoked_access_token"] = refreshed["access_token"]

    # The user's consents page, signed in by the same browser session: revoking the consent stops the refresh token.
    consents_url = issuer + "/consents"
    listed = browser.get(consents_url, timeout=TIMEOUT)
    result["consents_status"] = listed.status_code
    revoke_forms = [form for form in forms_of(listed.text).forms if ("action", "revoke") in form["buttons"]]
    result["consents_listed"] = len(revoke_forms)
    revoked = post_form(browser, consents_url, revoke_forms[0], {"action": "revoke"})
    result["revoke_status"] = revoked.status_code
    result["after_revoke_lists_none"] = "not allowed any application" in browser.get(consents_url, timeout=TIMEOUT).text
    try:
        client.refresh_token(metadata["token_endpoint"], refresh_token=refreshed["refresh_token"])
        result["refresh_after_revoke"] = "accepted"
    except Exception as error:  # Authlib raises OAuthError with the server's error code
        result["refresh_after_revoke"] = getattr(error, "error", str(error))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
