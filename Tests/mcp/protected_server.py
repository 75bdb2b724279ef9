#!/usr/bin/env python3
"""An MCP server protected by Tessera, built only from the MCP Python SDK's own resource-server support: MCPServer
with AuthSettings (which serves the RFC 9728 protected resource metadata naming Tessera's tenant issuer and answers
401 with a WWW-Authenticate that points at it) and a TokenVerifier that asks Tessera's introspection endpoint
(RFC 7662) about each bearer token, as a resource-server client of the tenant.

usage: protected_server.py PORT ISSUER INTROSPECT_CLIENT_ID INTROSPECT_CLIENT_SECRET [SCOPE]

Serves streamable HTTP at http://127.0.0.1:PORT/mcp, with one tool, `whoami`, answering who the token stands for.
Prints "READY PORT" once it listens; SIGTERM stops it at once.
"""
import signal
import sys

# The end-to-end tests stop this server with SIGTERM, and a test runner's thread may start it with the signal blocked.
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

import anyio  # noqa: E402
import httpx2  # noqa: E402
import uvicorn  # noqa: E402
from mcp.server.auth.middleware.auth_context import get_access_token  # noqa: E402
from mcp.server.auth.provider import AccessToken  # noqa: E402
from mcp.server.auth.settings import AuthSettings  # noqa: E402
from mcp.server.mcpserver import MCPServer  # noqa: E402


class IntrospectionVerifier:
    """The SDK's TokenVerifier protocol, answered by Tessera's introspection endpoint: a token counts only when it is
    active, and its audience (RFC 8707: the resource the client asked for) includes this server's URL."""

    def __init__(self, introspection_endpoint: str, client_id: str, client_secret: str, resource: str):
        self.introspection_endpoint = introspection_endpoint
        self.credentials = (client_id, client_secret)
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        async with httpx2.AsyncClient(timeout=10) as http:
            answer = await http.post(
                self.introspection_endpoint, data={"token": token}, auth=httpx2.BasicAuth(*self.credentials))
        if answer.status_code != 200:
            print(f"introspection answered {answer.status_code}: {answer.text}", file=sys.stderr, flush=True)
            return None
        claims = answer.json()
        if claims.get("active") is not True:
            return None
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience] if audience else []
        # A token for another resource of the tenant must not open this one (RFC 8707, MCP authorization spec).
        if not any(str(entry).rstrip("/") == self.resource.rstrip("/") for entry in audiences):
            print(f"token audience {audiences} is not {self.resource}", file=sys.stderr, flush=True)
            return None
        return AccessToken(
            token=token,
            client_id=claims.get("client_id", ""),
            scopes=(claims.get("scope") or "").split(),
            expires_at=claims.get("exp"),
            # The entry of the audience that is this server, which the SDK's bearer middleware checks again.
            resource=self.resource,
            subject=claims.get("sub"),
            claims={name: claims[name] for name in ("iss", "username", "aud") if name in claims},
        )


def main() -> None:
    port = int(sys.argv[1])
    issuer = sys.argv[2].rstrip("/")
    client_id, client_secret = sys.argv[3], sys.argv[4]
    scope = sys.argv[5] if len(sys.argv) > 5 else "mcp:tools"
    resource = f"http://127.0.0.1:{port}/mcp"

    server = MCPServer(
        "tessera-protected",
        token_verifier=IntrospectionVerifier(issuer + "/introspect", client_id, client_secret, resource),
        auth=AuthSettings(
            # The PRM's authorization_servers: Tessera's tenant issuer, whose metadata the SDK client then
            # discovers with RFC 8414 path insertion.
            issuer_url=issuer,
            resource_server_url=resource,
            # Advertised as the PRM's scopes_supported (the scope SDK clients ask for), and required of every token.
            required_scopes=[scope],
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> dict:
        """Who the bearer token stands for, as Tessera's introspection told."""
        token = get_access_token()
        claims = token.claims or {}
        return {
            "client_id": token.client_id,
            "subject": token.subject,
            "username": claims.get("username"),
            "scopes": token.scopes,
            "audience": claims.get("aud"),
            "issuer": claims.get("iss"),
        }

    app = server.streamable_http_app(host="127.0.0.1")

    class Server(uvicorn.Server):
        # SIGTERM keeps its default action (end the process now) rather than uvicorn's graceful shutdown, which
        # would wait for clients' open event streams.
        def capture_signals(self):
            import contextlib
            return contextlib.nullcontext()

    web = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))

    async def serve() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(web.serve)
            while not web.started:
                await anyio.sleep(0.02)
            print(f"READY {port}", flush=True)

    anyio.run(serve)


if __name__ == "__main__":
    main()
