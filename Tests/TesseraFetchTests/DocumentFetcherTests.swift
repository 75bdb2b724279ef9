import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
import TesseraCore
import TesseraTesting
import Testing

@testable import TesseraFetch

/// The fetcher against Tests/fetch/serve.py on the loopback interface: what it fetches, and each limit.
@Suite("Fetching what clients publish", .timeLimit(.minutes(1)))
struct DocumentFetcherTests {
    static let keysOne = #"""
        {"keys":[{"kty":"EC","crv":"P-256","x":"hDVVrfB-OhUCUbKnlMN0jl-XXfSJ4JZ1iysV07dCF7w","y":"3XLpiZICuY6JXFUc34UWBkAfItlBKXKfMKY02nRTk2g","kid":"one","alg":"ES256"}]}
        """#
    static let keysTwo = #"""
        {"keys":[{"kty":"EC","crv":"P-256","x":"ukzwFjg6Me8k7DFPDCvvYJaxTQc09pnKWgl4S_RP74E","y":"kUmA15duY2ES_PFzqVre5AzQfT2Nd-XSkNvT199g4Y0","kid":"two","alg":"ES256"}]}
        """#

    /// The test server's names: allowed hosts, as an operator allows a development machine.
    static let loopback: Set<String> = ["127.0.0.1", "localhost"]

    @Test("a loopback server is refused unless its host is allowed; then each limit holds")
    func limits() async throws {
        let server = try PublishingServer()
        defer { server.stop() }
        try server.write("jwks.json", Self.keysOne)

        let strict = try DocumentFetcher()
        let refused = await #expect(throws: FetchError.self) { try await strict.fetch(server.http("/file/jwks.json")) }
        #expect(refused?.description.contains("only https") == true, "\(String(describing: refused))")
        let localhost = await #expect(throws: FetchError.self) {
            try await strict.fetch("https://localhost:\(server.httpsPort)/file/jwks.json")
        }
        #expect(localhost?.description.contains("not public") == true, "\(String(describing: localhost))")

        let fetcher = try DocumentFetcher(allowedHosts: Self.loopback, timeout: .milliseconds(700))
        let (document, type) = try await fetcher.fetch(server.http("/file/jwks.json"))
        #expect(String(decoding: document, as: UTF8.self) == Self.keysOne && type == "application/json")
        for (path, reason) in [
            ("/big", "larger than"), ("/redirect", "answered 302"), ("/status/500", "answered 500"),
            ("/file/missing.json", "answered 404"), ("/slow", "within"),
        ] {
            let error = await #expect(throws: FetchError.self) { try await fetcher.fetch(server.http(path)) }
            #expect(error?.description.contains(reason) == true, "\(path): \(String(describing: error))")
        }
        let closed = await #expect(throws: FetchError.self) {
            try await fetcher.fetch("http://127.0.0.1:\(try Self.closedPort())/")
        }
        #expect(closed?.description.contains("cannot connect") == true, "\(String(describing: closed))")
    }

    @Test("https checks the certificate against the host: trusted, the document; untrusted, a refusal")
    func tls() async throws {
        let server = try PublishingServer()
        defer { server.stop() }
        try server.write("jwks.json", Self.keysOne)
        let url = "https://localhost:\(server.httpsPort)/file/jwks.json"
        let untrusting = try DocumentFetcher(allowedHosts: Self.loopback)
        await #expect(throws: FetchError.self) { try await untrusting.fetch(url) }
        let certificate = try NIOSSLCertificate(
            file: server.folder.appendingPathComponent("cert.pem").path, format: .pem)
        let trusting = try DocumentFetcher(allowedHosts: Self.loopback, additionalTrustRoots: [certificate])
        let (document, _) = try await trusting.fetch(url)
        #expect(String(decoding: document, as: UTF8.self) == Self.keysOne)
        // The certificate names localhost: the same server reached by its address is refused (an address is no
        // https host at all), and an allowed host does not lift the certificate check.
        await #expect(throws: FetchError.self) {
            try await trusting.fetch("https://127.0.0.1:\(server.httpsPort)/file/jwks.json")
        }
    }

    @Test(
        "the key set cache fetches once while fresh, again for an unknown kid at most so often, serves stale keys while its host is down"
    )
    func cache() async throws {
        let server = try PublishingServer()
        defer { server.stop() }
        try server.write("jwks.json", Self.keysOne)
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let cache = PublishedKeySetCache(
            fetcher: try DocumentFetcher(allowedHosts: Self.loopback), freshFor: 300, refetchInterval: 10,
            staleFor: 3600, logger: Logger(label: "test"), now: { clock.withLock { $0 } })
        func advance(_ seconds: TimeInterval) { clock.withLock { $0 += seconds } }
        let url = server.http("/file/jwks.json")
        func hits() async throws -> Int {
            let (data, _) = try await DocumentFetcher(allowedHosts: Self.loopback).fetch(server.http("/hits/jwks.json"))
            return try JSONDecoder().decode([String: Int].self, from: data)["hits"] ?? -1
        }

        // Many at once share one fetch; then the cached set serves.
        let sets = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { try await cache.keySet(at: url, refresh: false).keyIDs } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(sets.allSatisfy { $0 == ["one"] })
        #expect(try await hits() == 1)
        #expect(try await cache.keySet(at: url, refresh: false).keyIDs == ["one"])
        #expect(try await hits() == 1)

        // The client rotates: a refresh within the interval is not granted, after it is.
        try server.write("jwks.json", Self.keysTwo)
        #expect(try await cache.keySet(at: url, refresh: true).keyIDs == ["one"])
        #expect(try await hits() == 1)
        advance(11)
        #expect(try await cache.keySet(at: url, refresh: true).keyIDs == ["two"])
        #expect(try await hits() == 2)

        // Its host fails: the last set serves until it is stale, and the failure is not retried per request.
        try server.remove("jwks.json")
        advance(301)
        #expect(try await cache.keySet(at: url, refresh: false).keyIDs == ["two"])
        #expect(try await cache.keySet(at: url, refresh: false).keyIDs == ["two"])
        #expect(try await hits() == 3)
        advance(3600)
        await #expect(throws: FetchError.self) { try await cache.keySet(at: url, refresh: false) }
        // A URL that never answered is refused, and not fetched again within the interval.
        let missing = server.http("/file/none.json")
        await #expect(throws: FetchError.self) { try await cache.keySet(at: missing, refresh: false) }
        await #expect(throws: FetchError.self) { try await cache.keySet(at: missing, refresh: true) }
        let (data, _) = try await DocumentFetcher(allowedHosts: Self.loopback).fetch(server.http("/hits/none.json"))
        #expect(String(decoding: data, as: UTF8.self).contains("1"), "\(String(decoding: data, as: UTF8.self))")
    }

    /// A port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        // The OS picks a free port for a listener we close at once; reusing it right away is unlikely to collide.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 9
    }
}
