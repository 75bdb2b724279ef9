import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal OAuth client over a real socket: what `curl -u key:secret -d ...` does.
///
/// It speaks plain HTTP/1.1 with `Connection: close` itself, because Foundation's URLSession on Linux
/// stalls on a 401 that carries a `WWW-Authenticate` challenge.
struct TokenClient {
    let port: Int

    struct Answer {
        let status: Int
        let json: [String: Any]
        let headers: [String: String]
        let text: String
    }

    /// A form POST with HTTP Basic credentials; `headers` are more header lines, such as `X-Forwarded-For: ...`.
    func post(_ path: String, form: String, key: String, secret: String, headers: [String] = []) async throws
        -> Answer
    {
        let request = postRequest(path, form: form, key: key, secret: secret, headers: headers)
        return try parse(await offThePool { try exchange(request) })
    }

    /// A form POST without an Authorization header: the client authenticates in the form, if at all.
    func post(_ path: String, form: String) async throws -> Answer {
        let request = postRequest(path, form: form, headers: [])
        return try parse(await offThePool { try exchange(request) })
    }

    /// The bytes of a form POST with HTTP Basic credentials and `Connection: close`.
    func postRequest(_ path: String, form: String, key: String, secret: String, headers: [String] = []) -> [UInt8] {
        let authorization = "Basic " + Data("\(key):\(secret)".utf8).base64EncodedString()
        return postRequest(path, form: form, headers: headers + ["Authorization: \(authorization)"])
    }

    private func postRequest(_ path: String, form: String, headers: [String]) -> [UInt8] {
        let request =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            + headers.map { $0 + "\r\n" }.joined()
            + "Content-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)"
        return Array(request.utf8)
    }

    /// Any request: `method path` with `headers` (lines) and `body`, if any; the answer's body is in `text` (and
    /// `json` when it is a JSON object).
    func request(_ method: String, _ path: String, headers: [String] = [], body: String? = nil) async throws -> Answer {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        request += headers.map { $0 + "\r\n" }.joined()
        if let body { request += "Content-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + (body ?? "")
        let bytes = Array(request.utf8)
        return try parse(await offThePool { try exchange(bytes) })
    }

    /// `GET path`; the body is in `text`.
    func get(_ path: String, headers: [String] = []) async throws -> Answer {
        let extra = headers.map { $0 + "\r\n" }.joined()
        let request = Array(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(extra)Connection: close\r\n\r\n".utf8)
        return try parse(await offThePool { try exchange(request) })
    }

    private func parse(_ raw: [UInt8]) throws -> Answer {
        let text = String(decoding: raw, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let statusLine = head[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw NoStatusLine(head: head[0]) }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        return Answer(status: status, json: json, headers: headers, text: body)
    }

    /// Sends `bytes` and reads until the server closes the connection (or resets it: what was read is returned).
    func exchange(_ bytes: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw ConnectionRefused() }
        var sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a server that closed the connection must not kill the test process with SIGPIPE.
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw SendFailed() }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let started = ContinuousClock.now
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                response += buffer[0..<count]
                continue
            }
            // With SO_RCVTIMEO set, a signal handler's return interrupts recv whatever SA_RESTART says.
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                throw NoAnswerInTime(waited: ContinuousClock.now - started, bytesRead: response.count)
            }
            break  // closed (0) or reset: what was read is the answer
        }
        return response
    }

    struct ConnectionRefused: Error {}
    struct SendFailed: Error {}
    /// The server neither finished its answer nor closed the connection within the receive timeout.
    struct NoAnswerInTime: Error, CustomStringConvertible {
        let waited: Duration
        let bytesRead: Int
        var description: String { "no complete answer after \(waited) (\(bytesRead) bytes read)" }
    }
    /// The server closed (or reset) the connection without a status line.
    struct NoStatusLine: Error, CustomStringConvertible {
        let head: String
        var description: String { head.isEmpty ? "the connection closed with no answer" : "no status line in \(head)" }
    }

    /// Waits until the server answers at all (any status), up to `timeout`.
    func waitUntilServing(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do {
                _ = try await post("/token", form: "", key: "x", secret: "y")
                return
            } catch is ConnectionRefused {
                // not listening yet
            } catch {
                // Any other failure of a probe (a first answer slower than the receive timeout on a loaded
                // machine) is said and tried again; the test's own requests are what count.
                print("waiting for port \(port) to serve: \(error)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the server did not start serving within \(timeout)")
    }
}
