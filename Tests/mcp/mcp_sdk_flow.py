#!/usr/bin/env python3
"""The official MCP Python SDK's OAuth clients against Tessera, with the SDK's defaults: each flow connects to an MCP
server protected by Tessera (protected_server.py), lets the SDK discover everything from the server's 401 (RFC 9728
protected resource metadata, then Tessera's RFC 8414 metadata), get a token, and call the `whoami` tool. The two
authorization code flows then connect again once the access token has expired, so the SDK refreshes it.

  preregistered       OAuthClientProvider, authorization code + PKCE, with a public client registered beforehand
                      (its client information put into the SDK's TokenStorage, so the SDK does not register).
  client_document     OAuthClientProvider with client_metadata_url: the client is known by a Client ID Metadata
                      Document that this script serves itself at https://localhost:<port>/mcp-client.json (the SDK
                      takes only an https URL, Tessera fetches https only from a host name), with the certificate
                      made by `make-cert`, which Tessera must trust (serve --fetch-ca-file). Without --cimd-cert the
                      document is served over plain http, which the SDK refuses: the flow then fails.
  client_credentials  the SDK's ClientCredentialsOAuthProvider with a confidential client's key and secret.

The browser's part of the authorization code flows (Tessera's sign-in and consent pages) is played over HTTP with a
cookie jar, in the SDK's redirect_handler; the callback_handler hands the SDK the code, state and iss of the redirect.

usage: mcp_sdk_flow.py make-cert DIR
         writes DIR/cimd-cert.pem (self-signed, for 127.0.0.1 and localhost) and DIR/cimd-key.pem
       mcp_sdk_flow.py --issuer ISSUER --username U --password P --public-client-id ID
                       --cc-client-id KEY --cc-client-secret SECRET --mcp-url URL
                       [--cimd-cert DIR/cimd-cert.pem --cimd-key DIR/cimd-key.pem]

Prints one JSON object of what happened in each flow; exits 0 even when a flow fails (the Swift test judges), with
tracebacks on stderr.
"""
import argparse
import datetime
import ipaddress
import json
import pathlib
import socket
import ssl
import sys
import threading
import time
import traceback
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urljoin, urlparse

import anyio
import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


# --- The SDK's TokenStorage, in memory -------------------------------------------------------------------------------

class MemoryStorage:
    """What the SDK keeps between runs (tokens, client information), kept for this run only."""

    def __init__(self, client_info: OAuthClientInformationFull | None = None):
        self.tokens: OAuthToken | None = None
        self.client_info = client_info

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


# --- The browser -----------------------------------------------------------------------------------------------------

class Forms(HTMLParser):
    """A page's forms: action, hidden inputs and named submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "form":
            self.forms.append({"action": attributes.get("action"), "fields": [], "buttons": []})
        elif tag == "input" and self.forms and attributes.get("type") == "hidden":
            self.forms[-1]["fields"].append((attributes["name"], attributes.get("value", "")))
        elif tag == "button" and self.forms and attributes.get("name"):
            self.forms[-1]["buttons"].append((attributes["name"], attributes.get("value", "")))


def forms_of(page: str) -> list[dict]:
    parser = Forms()
    parser.feed(page)
    return parser.forms


class Browser:
    """Plays the user's browser for the SDK: its redirect_handler signs in and approves, as a person would, and keeps
    the redirect Tessera answers with for the callback_handler."""

    def __init__(self, username: str, password: str, record: dict):
        self.username = username
        self.password = password
        self.record = record
        self.location: str | None = None

    async def post(self, http: httpx2.AsyncClient, page_url: str, form: dict, extra: dict) -> httpx2.Response:
        target = urljoin(page_url, form["action"]) if form["action"] else page_url
        data: dict[str, list[str]] = {}
        for name, value in form["fields"] + list(extra.items()):
            data.setdefault(name, []).append(value)
        return await http.post(target, data=data)

    async def redirect_handler(self, authorization_url: str) -> None:
        self.record["authorization_url"] = authorization_url
        self.record["authorization_params"] = {
            name: values[0] for name, values in parse_qs(urlparse(authorization_url).query).items()
            if name not in ("state", "code_challenge")
        }
        # Signing in hashes the password on threads that run only when the CPU is otherwise idle: on a machine the
        # whole test suite saturates, the answer can take long.
        async with httpx2.AsyncClient(timeout=120, follow_redirects=False) as http:
            page = await http.get(authorization_url)
            self.record["sign_in_status"] = page.status_code
            forms = forms_of(page.text)
            if page.status_code != 200 or not forms:
                raise RuntimeError(f"no sign-in page: {page.status_code} {page.text[:500]}")
            answer = await self.post(
                http, authorization_url, forms[0], {"username": self.username, "password": self.password})
            self.record["sign_in_post_status"] = answer.status_code
            if answer.status_code == 200:
                # The consent page: approve.
                approve = [form for form in forms_of(answer.text) if ("action", "approve") in form["buttons"]]
                if not approve:
                    raise RuntimeError(f"no consent form: {answer.text[:500]}")
                answer = await self.post(http, authorization_url, approve[0], {"action": "approve"})
                self.record["approve_status"] = answer.status_code
            if answer.status_code not in (302, 303) or "Location" not in answer.headers:
                raise RuntimeError(f"no redirect to the client: {answer.status_code} {answer.text[:500]}")
            self.location = answer.headers["Location"]

    async def callback_handler(self) -> AuthorizationCodeResult:
        query = {name: values[0] for name, values in parse_qs(urlparse(self.location or "").query).items()}
        self.record["redirect"] = {
            "to": (self.location or "").split("?")[0], "has_code": "code" in query, "iss": query.get("iss"),
            "error": query.get("error"), "error_description": query.get("error_description")}
        return AuthorizationCodeResult(code=query.get("code", ""), state=query.get("state"), iss=query.get("iss"))


# --- The Client ID Metadata Document's server ------------------------------------------------------------------------

def make_certificate(folder: pathlib.Path) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost: the document server's, and the CA Tessera trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MCP test client document")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    (folder / "cimd-cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "cimd-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


class DocumentServer:
    """Serves one client metadata document at /mcp-client.json (over HTTPS when given a certificate), on a loopback
    port, in a thread; counts how often it was fetched."""

    def __init__(self, cert: str | None, key: str | None):
        self.hits = 0
        self.document: dict = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *arguments):
                pass

            def do_GET(self):
                if self.path != "/mcp-client.json":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                owner.hits += 1
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if cert and key:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        # localhost, not 127.0.0.1: Tessera fetches https only from a host name, never from an address.
        self.url = f"{scheme}://localhost:{self.server.server_address[1]}/mcp-client.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# --- The flows -------------------------------------------------------------------------------------------------------

def free_loopback_port() -> int:
    """A port for the redirect URI; nothing listens there, as the browser hands the redirect over directly."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def exchange_log(record: dict, mcp_url: str):
    """httpx2 event hooks listing each request the SDK's HTTP client sent (auth-flow requests included) and its
    status, with the body of any error an authorization server answered, as evidence."""
    exchanges = record.setdefault("exchanges", [])

    async def on_response(response: httpx2.Response) -> None:
        request = response.request
        line = {"request": f"{request.method} {request.url}", "status": response.status_code}
        if request.method == "POST" and not str(request.url).startswith(mcp_url):
            form = parse_qs(request.content.decode(errors="replace"))
            line["form_fields"] = sorted(form.keys())
            line["grant_type"] = form.get("grant_type", [None])[0]
        if response.status_code >= 400 and not str(request.url).startswith(mcp_url):
            await response.aread()
            line["body"] = response.text[:500]
        if "WWW-Authenticate" in response.headers:
            line["www_authenticate"] = response.headers["WWW-Authenticate"]
        exchanges.append(line)

    return {"response": [on_response]}


async def call_whoami(provider: httpx2.Auth, mcp_url: str, record: dict) -> None:
    """Connects with the SDK's own HTTP client defaults plus the provider, and calls the tool."""
    async with create_mcp_http_client(auth=provider) as http:
        http.event_hooks = exchange_log(record, mcp_url)
        async with Client(streamable_http_client(mcp_url, http_client=http)) as client:
            result = await client.call_tool("whoami", {})
    tool_result(result, record)


def tool_result(result, record: dict) -> None:
    record["tool_is_error"] = result.is_error
    # whoami answers a JSON object, as structured content or as the text of its one content block.
    if result.structured_content is not None:
        record["tool_result"] = result.structured_content
    else:
        text = "".join(getattr(block, "text", "") for block in result.content)
        try:
            record["tool_result"] = json.loads(text)
        except ValueError:
            record["tool_result"] = text


async def call_after_expiry(provider: OAuthClientProvider, mcp_url: str, record: dict) -> None:
    """A second connection once the access token has expired, as if its hour had passed: the SDK refreshes it (grant
    type refresh_token, with the resource again) before calling the tool."""
    provider.context.token_expiry_time = time.time() - 1
    refresh: dict = {}
    record["after_expiry"] = refresh
    await call_whoami(provider, mcp_url, refresh)
    refresh["refreshed"] = any(
        line.get("grant_type") == "refresh_token" and line["status"] == 200 for line in refresh["exchanges"])


def token_summary(storage: MemoryStorage) -> dict | None:
    if storage.tokens is None:
        return None
    return {"token_type": storage.tokens.token_type, "scope": storage.tokens.scope,
            "expires_in": storage.tokens.expires_in, "has_refresh_token": storage.tokens.refresh_token is not None}


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions an ExceptionGroup (anyio's task groups raise them) is made of, or the exception itself."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


async def run_flow(name: str, results: dict, body) -> None:
    record: dict = {}
    results[name] = record
    try:
        await body(record)
        refresh = record.get("after_expiry")
        record["ok"] = record.get("tool_is_error") is False and (
            refresh is None or (refresh.get("tool_is_error") is False and refresh.get("refreshed") is True))
    except BaseException as error:  # ExceptionGroup from anyio included
        record["ok"] = False
        record["error"] = "; ".join(
            "".join(traceback.format_exception_only(leaf)).strip()[-1000:] for leaf in leaves(error))
        print(f"--- {name} failed", file=sys.stderr)
        traceback.print_exception(error, file=sys.stderr)


async def main(arguments: argparse.Namespace) -> None:
    results: dict = {}
    issuer = arguments.issuer.rstrip("/")

    async def preregistered(record: dict) -> None:
        redirect_uri = f"http://127.0.0.1:{free_loopback_port()}/callback"
        browser = Browser(arguments.username, arguments.password, record)
        # The registered public client, as the SDK would have stored it after registering: no secret.
        storage = MemoryStorage(OAuthClientInformationFull(
            client_id=arguments.public_client_id, token_endpoint_auth_method="none", redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"]))
        provider = OAuthClientProvider(
            server_url=arguments.mcp_url,
            client_metadata=OAuthClientMetadata(
                client_name="Tessera MCP test (pre-registered)", redirect_uris=[redirect_uri],
                grant_types=["authorization_code", "refresh_token"], response_types=["code"],
                token_endpoint_auth_method="none"),
            storage=storage, redirect_handler=browser.redirect_handler, callback_handler=browser.callback_handler)
        await call_whoami(provider, arguments.mcp_url, record)
        record["token"] = token_summary(storage)
        record["client_id_used"] = storage.client_info.client_id if storage.client_info else None
        await call_after_expiry(provider, arguments.mcp_url, record)

    async def client_document(record: dict) -> None:
        redirect_uri = f"http://127.0.0.1:{free_loopback_port()}/callback"
        documents = DocumentServer(arguments.cimd_cert, arguments.cimd_key)
        documents.document = {
            "client_id": documents.url,
            "client_name": "Tessera MCP test (metadata document)",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        record["client_metadata_url"] = documents.url
        browser = Browser(arguments.username, arguments.password, record)
        storage = MemoryStorage()  # nothing registered: the document's URL is the client
        try:
            provider = OAuthClientProvider(
                server_url=arguments.mcp_url,
                client_metadata=OAuthClientMetadata(
                    client_name="Tessera MCP test (metadata document)", redirect_uris=[redirect_uri],
                    grant_types=["authorization_code", "refresh_token"], response_types=["code"],
                    token_endpoint_auth_method="none"),
                storage=storage, redirect_handler=browser.redirect_handler,
                callback_handler=browser.callback_handler, client_metadata_url=documents.url)
            await call_whoami(provider, arguments.mcp_url, record)
            record["token"] = token_summary(storage)
            record["client_id_used"] = storage.client_info.client_id if storage.client_info else None
            await call_after_expiry(provider, arguments.mcp_url, record)
        finally:
            record["document_fetches"] = documents.hits
            documents.server.shutdown()

    async def client_credentials(record: dict) -> None:
        storage = MemoryStorage()
        provider = ClientCredentialsOAuthProvider(
            server_url=arguments.mcp_url, storage=storage,
            client_id=arguments.cc_client_id, client_secret=arguments.cc_client_secret,
            # Where these credentials may be sent: the SDK's recommended setting (omitting it is deprecated).
            issuer=issuer)
        await call_whoami(provider, arguments.mcp_url, record)
        record["token"] = token_summary(storage)

    await run_flow("preregistered", results, preregistered)
    await run_flow("client_document", results, client_document)
    await run_flow("client_credentials", results, client_credentials)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make-cert":
        make_certificate(pathlib.Path(sys.argv[2]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("issuer", "username", "password", "public-client-id", "cc-client-id", "cc-client-secret",
                   "mcp-url"):
        parser.add_argument(f"--{option}", required=True)
    parser.add_argument("--cimd-cert")
    parser.add_argument("--cimd-key")
    anyio.run(main, parser.parse_args())
