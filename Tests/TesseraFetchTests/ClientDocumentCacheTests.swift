import Foundation
import Logging
import Synchronization
import TesseraTesting
import Testing

@testable import TesseraFetch

/// Client ID Metadata Documents as the cache keeps them: HTTP caching honoured within bounds, failures remembered.
@Suite("Client metadata document cache", .timeLimit(.minutes(1)))
struct ClientDocumentCacheTests {
    @Test("max-age is honoured between a minute and a day; failures are remembered for a minute; private hosts refused")
    func caching() async throws {
        let server = try PublishingServer()
        defer { server.stop() }
        try server.write("client.json", #"{"client_id":"x"}"#)
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let allowed = try DocumentFetcher(allowedHosts: ["127.0.0.1"])
        let cache = ClientDocumentCache(
            fetcher: allowed, logger: Logger(label: "test"), now: { clock.withLock { $0 } })
        func advance(_ seconds: TimeInterval) { clock.withLock { $0 += seconds } }
        func hits() async throws -> Int {
            let (data, _) = try await allowed.fetch(server.http("/hits/client.json"))
            return try JSONDecoder().decode([String: Int].self, from: data)["hits"] ?? -1
        }
        // max-age=120: reused for two minutes, then fetched again.
        let twoMinutes = server.http("/cached/120/client.json")
        _ = try await cache.document(at: twoMinutes)
        _ = try await cache.document(at: twoMinutes)
        #expect(try await hits() == 1)
        advance(100)
        _ = try await cache.document(at: twoMinutes)
        #expect(try await hits() == 1)
        advance(30)
        _ = try await cache.document(at: twoMinutes)
        #expect(try await hits() == 2)
        // max-age=0 still holds a minute: a client cannot make the server fetch on every request.
        let uncached = server.http("/cached/0/client.json")
        _ = try await cache.document(at: uncached)
        advance(30)
        _ = try await cache.document(at: uncached)
        #expect(try await hits() == 3)
        advance(31)
        _ = try await cache.document(at: uncached)
        #expect(try await hits() == 4)
        // A missing document fails, and the failure is answered from memory for a minute.
        let missing = server.http("/file/gone.json")
        await #expect(throws: FetchError.self) { try await cache.document(at: missing) }
        try server.write("gone.json", "{}")
        await #expect(throws: FetchError.self) { try await cache.document(at: missing) }
        advance(61)
        #expect(try await cache.document(at: missing) == Data("{}".utf8))
        // Too large, and a loopback host nobody allowed: refused.
        await #expect(throws: FetchError.self) { try await cache.document(at: server.http("/big")) }
        let strict = ClientDocumentCache(fetcher: try DocumentFetcher(), logger: Logger(label: "test"))
        await #expect(throws: FetchError.self) {
            try await strict.document(at: "https://localhost:\(server.httpsPort)/file/client.json")
        }
    }
}
