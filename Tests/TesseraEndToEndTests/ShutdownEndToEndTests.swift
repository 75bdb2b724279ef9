import Foundation
import Synchronization
import Testing

/// SIGTERM under load: the server stops accepting, answers in full every request it had accepted, and exits 0
/// within seconds. A client sees either a complete 200 or no connection at all, never a cut response or an error.
@Suite("Graceful shutdown under load, end to end")
struct ShutdownEndToEndTests {
    struct Created: Decodable {
        let consumer_key: String
        let consumer_secret: String
    }

    /// What became of one request sent while the server might be stopping.
    enum Outcome: Equatable {
        /// A complete response: the status line, the headers, and as many body bytes as Content-Length said.
        case answered(status: Int, at: ContinuousClock.Instant)
        /// Some bytes, but not a complete response.
        case truncated(String)
        /// Refused, reset or closed before a single byte came back: the request was never accepted.
        case connectionError(at: ContinuousClock.Instant)

        init(_ bytes: [UInt8], at instant: ContinuousClock.Instant) {
            guard !bytes.isEmpty else {
                self = .connectionError(at: instant)
                return
            }
            let text = String(decoding: bytes, as: UTF8.self)
            guard let headEnd = text.range(of: "\r\n\r\n") else {
                self = .truncated(text)
                return
            }
            let head = text[..<headEnd.lowerBound].split(separator: "\r\n")
            let length = head.dropFirst().first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
            let statusLine = head.first?.split(separator: " ") ?? []
            guard let length, statusLine.count >= 2, let status = Int(statusLine[1]),
                text[headEnd.upperBound...].utf8.count == length
            else {
                self = .truncated(text)
                return
            }
            self = .answered(status: status, at: instant)
        }
    }

    /// The load's shared state: what every client saw, and when to stop.
    final class Load: Sendable {
        let outcomes = Mutex<[Outcome]>([])
        let stop = Atomic(false)
        let finished = Atomic(0)
    }

    @Test("16 clients loop token requests; SIGTERM: every accepted request gets a full 200, exit 0 within 10 s")
    func sigtermUnderLoad() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "stop-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        let created = try await TesseraBinary.run(
            ["app", "create", "--tenant", domain, "--name", "loaded", "--json"], databaseURL: database)
        try #require(created.status == 0, "app create: \(created.error)")
        let app = try JSONDecoder().decode(Created.self, from: Data(created.output.utf8))

        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-stop-\(port).log")
        let server = try TesseraBinary.serve(["--port", "\(port)"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()

        // Blocking sockets on threads of their own: the test's cooperative pool has as many threads as cores.
        let load = Load()
        let request = client.postRequest(
            "/t/\(domain)/token", form: "grant_type=client_credentials", key: app.consumer_key,
            secret: app.consumer_secret)
        let clients = 16
        for _ in 0..<clients {
            Thread {
                while !load.stop.load(ordering: .relaxed) {
                    let bytes = (try? client.exchange(request)) ?? []
                    let outcome = Outcome(bytes, at: .now)
                    load.outcomes.withLock { $0.append(outcome) }
                    // Once the port is closed, do not spin on refused connections.
                    if case .connectionError = outcome { Thread.sleep(forTimeInterval: 0.005) }
                }
                load.finished.add(1, ordering: .relaxed)
            }.start()
        }
        func answered() -> Int {
            load.outcomes.withLock { $0.count { if case .answered = $0 { true } else { false } } }
        }
        let warmUp = ContinuousClock.now + .seconds(10)
        while answered() < 100 && ContinuousClock.now < warmUp { try await Task.sleep(for: .milliseconds(20)) }

        let signalled = ContinuousClock.now
        server.terminate()
        while server.isRunning && ContinuousClock.now - signalled < .seconds(10) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let stoppedAfter = ContinuousClock.now - signalled
        #expect(!server.isRunning, "still running 10 s after SIGTERM")
        // Let the clients see the closed port for a moment, then stop them.
        try await Task.sleep(for: .milliseconds(200))
        load.stop.store(true, ordering: .relaxed)
        while load.finished.load(ordering: .relaxed) < clients { try await Task.sleep(for: .milliseconds(20)) }
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        #expect(stoppedAfter < .seconds(10))

        let outcomes = load.outcomes.withLock { $0 }
        var statuses: [Int: Int] = [:]
        var answeredAfterSignal = 0
        var truncated: [String] = []
        var connectionErrors = 0
        var connectionErrorsBeforeSignal = 0
        for outcome in outcomes {
            switch outcome {
            case .answered(let status, let instant):
                statuses[status, default: 0] += 1
                if instant > signalled { answeredAfterSignal += 1 }
            case .truncated(let text): truncated.append(text)
            case .connectionError(let instant):
                connectionErrors += 1
                if instant < signalled { connectionErrorsBeforeSignal += 1 }
            }
        }
        let summary =
            "answers \(statuses), \(answeredAfterSignal) after SIGTERM, \(connectionErrors) connection errors, "
            + "\(truncated.count) truncated; exit after \(stoppedAfter)"
        #expect(statuses.keys.allSatisfy { $0 == 200 }, "\(summary)")
        #expect(statuses[200, default: 0] >= 100, "\(summary)")
        #expect(truncated.isEmpty, "\(summary): \(truncated.prefix(3))")
        // Requests in flight when the signal came were still answered, in full.
        #expect(answeredAfterSignal >= 1, "\(summary)")
        #expect(connectionErrors >= 1, "\(summary): the clients never saw the port close")
        #expect(connectionErrorsBeforeSignal == 0, "\(summary)")
        print("shutdown under load: \(summary)")
    }
}
