import Foundation
import Logging
import Synchronization
import TesseraTesting
import Testing

@testable import TesseraCore

@Suite("Log throttle")
struct LogThrottleTests {
    @Test("a subject's line passes once an interval; other subjects pass on their own")
    func oncePerInterval() async throws {
        let throttle = LogThrottle(interval: .milliseconds(300))
        #expect(throttle.allows("k1"))
        #expect(!throttle.allows("k1"))
        #expect(throttle.allows("k2"))
        try await Task.sleep(for: .milliseconds(400))
        #expect(throttle.allows("k1"))
        #expect(!throttle.allows("k1"))
    }

    /// Keys this instance cannot open, as a server with another TESSERA_KEY reads them.
    struct SealedElsewhere: SigningKeySource {
        let key = SigningKey(
            id: "k1", algorithm: .es256, publicJWK: "{}", createdAt: Date(timeIntervalSince1970: 0),
            activatesAt: Date(timeIntervalSince1970: 0))
        func keys(of tenantID: Tenant.ID) async throws -> TenantSigningKeys {
            TenantSigningKeys(
                tenantID: tenantID, timeline: SigningKeyTimeline(keys: [key], longestTokenLifetime: 3600), pairs: [:])
        }
        func makeFirstKey(of tenantID: Tenant.ID, at now: Date) async throws -> TenantSigningKeys {
            try await keys(of: tenantID)
        }
    }

    final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }

    /// Every log line, kept.
    struct Captured: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.all.withLock { $0.append("\(event.level) \(event.message)") } }
    }

    @Test("a key sealed under another server key: every JWT is refused 503, the error is logged once")
    func sealedKeyLoggedOnce() async throws {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in Captured(lines: lines) }
        let format = JWTAccessTokenFormat(
            keys: SealedElsewhere(), issuer: IssuerURL(base: "https://id.example"), logger: logger)
        let claims = AccessTokenClaims(
            tenant: Fixtures.tenant(), client: Fixtures.application(tokenFormat: .jwt),
            subject: .client(consumerKey: "pBzuIZhGphfQmdcUX0lneFiiuxwa"), userID: nil,
            audience: ["https://id.example"],
            scopes: ScopeSet(["default"]), issuedAt: Date(), expiresAt: Date() + 3600)
        for _ in 0..<20 {
            await #expect(throws: OAuthError.self) { _ = try await format.write(claims) }
        }
        let logged = lines.all.withLock { $0 }
        #expect(logged.count == 1 && logged[0].contains("another server key"), "\(logged)")
    }
}
