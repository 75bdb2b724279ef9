#!/usr/bin/env python3
"""The sign-in and consent pages in a real browser: headless Chromium (Debian's, driven by Selenium over its
chromedriver) signs in and consents with the keyboard only, is sent back to a loopback redirect URI with a code (so
Chromium's form-action check of the redirect that follows the consent form's POST passes), and the code is exchanged
at the token endpoint. Screenshots of both pages go to OUTPUT. Prints one JSON object of what happened.

usage: sign_in_and_consent.py ISSUER CLIENT_ID USERNAME PASSWORD RESOURCE OUTPUT
"""
import base64
import hashlib
import json
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import requests
import chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


class Callback(BaseHTTPRequestHandler):
    """The client's loopback redirect URI: answers a plain page, as a native app's listener would."""

    def do_GET(self):
        body = b"<!doctype html><title>Signed in</title><p>You may close this window.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


def main():
    issuer, client_id, username, password, resource, output = sys.argv[1:7]
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    listener = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{listener.server_address[1]}/callback"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    url = issuer + "/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "mcp:tools",
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256", "resource": resource,
    })

    browser = chromium.start(1000, 900)
    result = {}
    try:
        # Signing in hashes the password on threads that run only when the CPU is otherwise idle (the server keeps
        # bcrypt off the token path): on a machine the whole test suite saturates, the consent page can take long.
        wait = WebDriverWait(browser, 120)
        browser.get(url)
        result["sign_in_title"] = browser.title
        # Every field has its label.
        result["labelled"] = all(
            browser.find_elements(By.CSS_SELECTOR, f'label[for="{field}"]') and browser.find_element(By.ID, field)
            for field in ["username", "password"])
        browser.save_screenshot(str(output / "sign-in.png"))
        # Keyboard only: the username field has the focus, Tab moves to the password, Enter submits.
        result["focus_on_username"] = browser.switch_to.active_element.get_attribute("id") == "username"
        browser.switch_to.active_element.send_keys(username, Keys.TAB)
        result["tab_to_password"] = browser.switch_to.active_element.get_attribute("id") == "password"
        browser.switch_to.active_element.send_keys(password, Keys.ENTER)
        wait.until(expected_conditions.title_contains("Allow"))
        result["consent_title"] = browser.title
        result["consent_shows_resource"] = resource in browser.page_source
        browser.save_screenshot(str(output / "consent.png"))
        # The first button Tab reaches is Allow; Enter presses it.
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        allow = browser.switch_to.active_element
        result["tab_to_allow"] = allow.get_attribute("value") == "approve"
        allow.send_keys(Keys.ENTER)
        wait.until(expected_conditions.url_contains("/callback"))
        landed = urlparse(browser.current_url)
        query = parse_qs(landed.query)
        result["redirected_to_client"] = f"{landed.scheme}://{landed.netloc}{landed.path}" == redirect_uri
        result["state_matches"] = query.get("state", [None])[0] == state
        result["iss"] = query.get("iss", [None])[0]
        # Anything the browser refused (a Content-Security-Policy violation would show here).
        result["console_errors"] = chromium.severe_messages(browser)
        token = requests.post(issuer + "/token", data={
            "grant_type": "authorization_code", "code": query.get("code", [""])[0], "redirect_uri": redirect_uri,
            "code_verifier": verifier, "client_id": client_id, "resource": resource,
        }, timeout=120)
        result["token_status"] = token.status_code
        result["token_scope"] = token.json().get("scope")
    finally:
        browser.quit()
        listener.shutdown()
    result["screenshots"] = sorted(path.name for path in output.glob("*.png"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
