"""A small web server for the fetcher's tests (Tests/TesseraFetchTests): serves DIR's files and a few misbehaviours,
over HTTP and, with a self-signed certificate for localhost written to DIR/cert.pem, over HTTPS.

Usage: serve.py DIR
Prints "HTTP_PORT HTTPS_PORT" on one line once both listen, then serves until killed.

GET /file/NAME     DIR/NAME as application/json (404 when missing)
GET /cached/N/NAME DIR/NAME with Cache-Control: max-age=N (counted with /file/NAME's hits)
GET /big           100 KiB of JSON
GET /redirect      302 to /file/jwks.json
GET /slow          nothing for 30 s
GET /status/N      status N, empty body
GET /hits/NAME     how many times /file/NAME was asked for, as JSON
"""
import datetime
import json
import pathlib
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# The tests stop this server with SIGTERM; a test runner's thread may pass on that signal blocked or ignored.
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
folder = pathlib.Path(sys.argv[1])
hits: dict[str, int] = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *arguments):
        pass

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) == 3 and parts[1] == "file":
            with lock:
                hits[parts[2]] = hits.get(parts[2], 0) + 1
            path = folder / parts[2]
            if path.is_file():
                self.answer(200, path.read_bytes(), {"Content-Type": "application/json"})
            else:
                self.answer(404)
        elif len(parts) == 4 and parts[1] == "cached":
            with lock:
                hits[parts[3]] = hits.get(parts[3], 0) + 1
            path = folder / parts[3]
            if path.is_file():
                self.answer(200, path.read_bytes(),
                            {"Content-Type": "application/json", "Cache-Control": f"public, max-age={int(parts[2])}"})
            else:
                self.answer(404)
        elif self.path == "/big":
            self.answer(200, b"[" + b"0," * 51200 + b"0]", {"Content-Type": "application/json"})
        elif self.path == "/redirect":
            self.answer(302, b"", {"Location": "/file/jwks.json"})
        elif self.path == "/slow":
            time.sleep(30)
            self.answer(200, b"{}")
        elif len(parts) == 3 and parts[1] == "status":
            self.answer(int(parts[2]))
        elif len(parts) == 3 and parts[1] == "hits":
            with lock:
                count = hits.get(parts[2], 0)
            self.answer(200, json.dumps({"hits": count}).encode(), {"Content-Type": "application/json"})
        else:
            self.answer(404)


def certificate() -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
secure = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
secure.socket = certificate().wrap_socket(secure.socket, server_side=True)
for server in (plain, secure):
    threading.Thread(target=server.serve_forever, daemon=True).start()
print(plain.server_address[1], secure.server_address[1], flush=True)
threading.Event().wait()
