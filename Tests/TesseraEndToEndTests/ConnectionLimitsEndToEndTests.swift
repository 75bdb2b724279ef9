import Foundation
import Testing

/// No client can hold the server's doors shut, and what HTTP/1 framing gets wrong is answered like every other
/// error: JSON, the security headers, the right status. The server runs with small limits (2 s timeouts, four
/// connections) so that each rule shows within seconds.
@Suite("Connection limits, end to end", .timeLimit(.minutes(2)))
struct ConnectionLimitsEndToEndTests {
    static let limits = [
        "--idle-timeout", "2", "--header-timeout", "2", "--body-timeout", "2", "--minimum-body-rate", "64",
        "--max-connections", "4",
    ]
    /// Each limit is enforced within a second (the guard's tick); the rest is slack for a loaded two-core machine.
    static let slack: Duration = .seconds(3)

    static func withServer(_ body: (Int) async throws -> Void) async throws {
        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-limits-\(port).log")
        let database = try TesseraBinary.databaseURL()
        // A tenant of its own, so that /token reads the body (for an unknown tenant it answers 404 at once).
        let domain = "limits-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["migrate"], databaseURL: database).status == 0)
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        let server = try TesseraBinary.serve(
            ["--port", "\(port)", "--default-tenant", domain] + limits, databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        try await TokenClient(port: port).waitUntilServing()
        try await body(port)
    }

    /// The status of a response in `text`, and whether it is a JSON OAuth error with the security headers.
    static func expectJSONError(
        _ text: String, status: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(text.prefix(200))", sourceLocation: sourceLocation)
        let lower = text.lowercased()
        #expect(lower.contains("content-type: application/json"), sourceLocation: sourceLocation)
        #expect(lower.contains("x-content-type-options: nosniff"), sourceLocation: sourceLocation)
        #expect(lower.contains("cache-control: no-store"), sourceLocation: sourceLocation)
        #expect(text.contains("\"error\":\""), "\(text.suffix(200))", sourceLocation: sourceLocation)
    }

    @Test(
        "a missing or repeated Host, a Content-Length over the limit, an unknown Expect and bytes that are not HTTP: JSON errors, before any body"
    )
    func framing() async throws {
        try await Self.withServer { port in
            let cases: [(String, Int)] = [
                ("GET /health/live HTTP/1.1\r\n\r\n", 400),
                ("GET /health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                ("GET /health/live HTTP/1.1\r\nHOST: a, b\r\n\r\n", 400),
                ("GET /health/live HTTP/1.1\r\nHost: \r\n\r\n", 400),
                ("POST /token HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n", 413),
                ("POST /token HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: tea\r\n\r\n", 417),
                ("NOT\u{1}HTTP / HTTP/1.1\r\n\r\n", 400),
            ]
            for (request, status) in cases {
                let connection = try RawConnection(port: port)
                connection.send(request)
                let (text, closed) = await connection.read(timeout: .seconds(5))
                Self.expectJSONError(text, status: status)
                #expect(closed, "the connection stays open after \(status) for \(request.debugDescription)")
            }
            // HTTP/1.0 may leave Host out.
            let old = try RawConnection(port: port)
            old.send("GET /health/live HTTP/1.0\r\n\r\n")
            #expect(await old.read(timeout: .seconds(5)).text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("Expect: 100-continue gets 100 Continue before the body is sent, then the answer")
    func expectContinue() async throws {
        try await Self.withServer { port in
            let connection = try RawConnection(port: port)
            let form = "grant_type=client_credentials"
            connection.send(
                "POST /token HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: \(form.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            let interim = await connection.read(timeout: .seconds(5), until: "\r\n\r\n").text
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            connection.send(form)
            let answer = await connection.read(timeout: .seconds(5), until: "}").text
            // No credentials: the token endpoint's own answer, which shows the body reached it.
            Self.expectJSONError(answer, status: 401)
        }
    }

    @Test("an idle connection is closed after the idle timeout; a head or a body sent slowly gets 408 and is closed")
    func slowClients() async throws {
        try await Self.withServer { port in
            let idle = try RawConnection(port: port)
            let started = ContinuousClock.now
            let (nothing, idleClosed) = await idle.read(timeout: .seconds(2) + Self.slack)
            #expect(idleClosed && nothing.isEmpty, "idle connection open after \(ContinuousClock.now - started)")
            #expect(ContinuousClock.now - started >= .milliseconds(1900))

            // Slowloris: a header line every half second; the head never completes.
            let loris = try RawConnection(port: port)
            let lorisStarted = ContinuousClock.now
            loris.send("GET /health/live HTTP/1.1\r\nHost: a\r\n")
            var answer = ""
            while ContinuousClock.now - lorisStarted < .seconds(2) + Self.slack, answer.isEmpty {
                loris.send("X-Slow: 1\r\n")
                answer = await loris.read(timeout: .milliseconds(500)).text
            }
            Self.expectJSONError(answer, status: 408)

            // A body of 200 bytes at one byte a second: at 64 bytes/s it was due after 2 s + 3 s.
            let slow = try RawConnection(port: port)
            let slowStarted = ContinuousClock.now
            slow.send(
                "POST /token HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: 200\r\n\r\ng")
            var reply = ""
            while ContinuousClock.now - slowStarted < .seconds(5) + Self.slack, reply.isEmpty {
                slow.send("r")
                reply = await slow.read(timeout: .seconds(1)).text
            }
            Self.expectJSONError(reply, status: 408)
        }
    }

    @Test(
        "at the connection limit the longest-idle connection makes room; when all are busy a newcomer is refused, never starving those accepted"
    )
    func connectionLimit() async throws {
        try await Self.withServer { port in
            let client = TokenClient(port: port)
            // Four idle connections fill the listener; a fifth client still gets its answer.
            let idle = try (0..<4).map { _ in try RawConnection(port: port) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await client.get("/health/live").status == 200)
            var displaced = 0
            for connection in idle where await connection.read(timeout: .milliseconds(300)).closed { displaced += 1 }
            #expect(displaced >= 1, "no idle connection made room")

            // Four connections each in the middle of a head: a newcomer is closed at once, unanswered.
            let busy = try (0..<4).map { _ in try RawConnection(port: port) }
            for connection in busy { connection.send("GET /health/live HTTP/1.1\r\n") }
            try await Task.sleep(for: .milliseconds(200))
            let newcomer = try RawConnection(port: port)
            newcomer.send("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n")
            let refused = await newcomer.read(timeout: .seconds(1))
            #expect(refused.closed && refused.text.isEmpty, "\(refused)")
            // The busy ones are still served when they finish their heads.
            busy[0].send("Host: a\r\n\r\n")
            #expect(await busy[0].read(timeout: .seconds(5), until: "}").text.hasPrefix("HTTP/1.1 200"))
            // Past the header timeout the others are cut off, and newcomers are served again.
            try await Task.sleep(for: .seconds(2) + Self.slack)
            #expect(try await client.get("/health/live").status == 200)
        }
    }
}
