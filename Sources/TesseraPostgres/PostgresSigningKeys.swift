import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// The tenants' signing keys in PostgreSQL: private keys sealed under the server key (bound to tenant, kid and
/// algorithm, so a sealed key moved to another row does not open), every change under a per-tenant advisory lock so
/// that instances and operators racing make one key, not two.
public struct PostgresSigningKeys: SigningKeySource {
    private let client: any DatabaseClient
    private let serverKey: ServerKey
    private let logger: Logger
    /// Who the audit trail says made a key: "cli" for `tessera key`; a server's first key and the schedule's
    /// rotations name themselves.
    private let audit: AuditTrail

    public init(client: any DatabaseClient, serverKey: ServerKey, logger: Logger, actor: String = "cli") {
        self.client = client
        self.serverKey = serverKey
        self.logger = logger
        self.audit = AuditTrail(actor: actor, client: client, logger: logger)
    }

    /// On the request path (a cache miss): within the database deadline, or unavailable.
    public func keys(of tenantID: Tenant.ID) async throws -> TenantSigningKeys {
        try await PostgresAvailability.run { [client, serverKey, logger] in
            try await client.current.withConnection { connection in
                try await Self.read(tenantID, on: connection, opening: serverKey, logger: logger)
            }
        }
    }

    public func makeFirstKey(of tenantID: Tenant.ID, at now: Date) async throws -> TenantSigningKeys {
        _ = try await PostgresAvailability.run(deadline: .seconds(10)) { [self] in
            try await change(tenantID, at: now, operation: "key.first") { timeline, now in
                guard timeline.signer(at: now) == nil else { return nil }
                return (.standard, now)
            }
        }
        return try await keys(of: tenantID)
    }

    /// Adds a key that activates once it has been published long enough (at once for a tenant without a signer).
    /// Refused while another key waits to activate.
    public func rotate(_ tenantID: Tenant.ID, algorithm: SigningAlgorithm?, at now: Date?) async throws -> SigningKey {
        let made = try await change(tenantID, at: now, operation: "key.rotate") { timeline, now in
            if let waiting = timeline.keys.first(where: { timeline.state(of: $0, at: now) == .next }) {
                throw AdministrationError(
                    "key \(waiting.id) is already waiting to sign from \(waiting.activatesAt); rotate after that")
            }
            let algorithm = algorithm ?? timeline.signer(at: now)?.algorithm ?? .standard
            return (algorithm, timeline.activation(ofKeyMadeAt: now))
        }
        return made!
    }

    /// The automatic rotation: a new key for each tenant whose signer is `period` old by the time the new key may
    /// sign. Returns the tenants rotated.
    public func rotateDue(period: TimeInterval, at now: Date) async throws -> [Tenant.ID] {
        var rotated: [Tenant.ID] = []
        for tenantID in try await tenantsWithKeys() {
            let made = try await change(tenantID, at: now, operation: "key.rotate-scheduled") { timeline, now in
                guard timeline.needsRotation(at: now, period: period) else { return nil }
                return (timeline.signer(at: now)?.algorithm ?? .standard, timeline.activation(ofKeyMadeAt: now))
            }
            if made != nil { rotated.append(tenantID) }
        }
        return rotated
    }

    /// Stops `kid` signing now. When it was the signer, the waiting key signs from now, or a new key does: the
    /// way out of a leaked key, at the price that verifiers holding an older key set refetch it.
    public func retire(_ tenantID: Tenant.ID, kid: String, at now: Date?) async throws -> SigningKey.State {
        try await audit.recordingRefusal("key.retire", tenantID: tenantID, target: String(kid.prefix(80))) {
            try await retiring(tenantID, kid: kid, at: now)
        }
    }

    private func retiring(_ tenantID: Tenant.ID, kid: String, at now: Date?) async throws -> SigningKey.State {
        try await transaction { [audit] connection in
            try await Self.lock(tenantID, on: connection, logger: logger)
            let now = try await Self.now(now, on: connection, logger: logger)
            let timeline = try await Self.read(tenantID, on: connection, opening: nil, logger: logger).timeline
            guard let key = timeline.keys.first(where: { $0.id == kid }) else {
                throw AdministrationError(
                    "no signing key \(kid.prefix(80)) in this tenant (see `tessera key list`)", kind: .notFound)
            }
            let state = timeline.state(of: key, at: now)
            guard state == .active || state == .next else {
                throw AdministrationError("key \(kid) signs no more (it is \(state.rawValue))")
            }
            try await connection.query(
                "UPDATE signing_keys SET retired_at = \(now) WHERE tenant_id = \(tenantID) AND kid = \(kid)",
                logger: logger)
            try await connection.query(
                audit.insert(tenantID, "key.retire", target: kid, outcome: "ok: was \(state.rawValue)"),
                logger: logger)
            guard state == .active else { return state }
            if let waiting = timeline.keys.first(where: { timeline.state(of: $0, at: now) == .next }) {
                try await connection.query(
                    """
                    UPDATE signing_keys SET activates_at = \(now)
                    WHERE tenant_id = \(tenantID) AND kid = \(waiting.id)
                    """, logger: logger)
            } else {
                _ = try await Self.insert(
                    tenantID, algorithm: key.algorithm, at: now, activatesAt: now, on: connection,
                    serverKey: serverKey, logger: logger)
            }
            return state
        }
    }

    /// The tenant's keys with their state at `now` (the database's clock when nil), newest first.
    public func list(_ tenantID: Tenant.ID, at now: Date?) async throws -> [SigningKeyRecord] {
        try await client.current.withConnection { connection in
            let now = try await Self.now(now, on: connection, logger: logger)
            let timeline = try await Self.read(tenantID, on: connection, opening: nil, logger: logger).timeline
            return timeline.keys.sorted { SigningKeyTimeline.isLater($0, than: $1) }.map { key in
                SigningKeyRecord(key: key, timeline: timeline, at: now)
            }
        }
    }

    /// Deletes the keys no longer published: every token they signed has expired.
    public func deleteExpired(at now: Date) async throws -> Int {
        var deleted = 0
        for tenantID in try await tenantsWithKeys() {
            let timeline = try await keys(of: tenantID).timeline
            for key in timeline.keys where timeline.state(of: key, at: now) == .expired {
                try await client.current.query(
                    "DELETE FROM signing_keys WHERE tenant_id = \(tenantID) AND kid = \(key.id)", logger: logger)
                deleted += 1
            }
        }
        return deleted
    }

    private func tenantsWithKeys() async throws -> [Tenant.ID] {
        var tenants: [Tenant.ID] = []
        let rows = try await client.current.query("SELECT DISTINCT tenant_id FROM signing_keys", logger: logger)
        for try await tenantID in rows.decode(Int64.self) { tenants.append(tenantID) }
        return tenants
    }

    /// Runs `decide` on the keys' timeline under the tenant's lock; when it answers an algorithm and an activation,
    /// makes that key, in the same transaction.
    private func change(
        _ tenantID: Tenant.ID, at now: Date?, operation: String,
        decide: @escaping @Sendable (SigningKeyTimeline, Date) throws -> (SigningAlgorithm, Date)?
    ) async throws -> SigningKey? {
        try await audit.recordingRefusal(operation, tenantID: tenantID, target: "-") {
            try await transaction { [audit] connection in
                try await Self.lock(tenantID, on: connection, logger: logger)
                let now = try await Self.now(now, on: connection, logger: logger)
                let timeline = try await Self.read(tenantID, on: connection, opening: nil, logger: logger).timeline
                guard let (algorithm, activatesAt) = try decide(timeline, now) else { return nil }
                let key = try await Self.insert(
                    tenantID, algorithm: algorithm, at: now, activatesAt: activatesAt, on: connection,
                    serverKey: serverKey, logger: logger)
                try await connection.query(
                    audit.insert(
                        tenantID, operation, target: key.id, outcome: "ok: \(algorithm.name), signs from \(activatesAt)"
                    ),
                    logger: logger)
                return key
            }
        }
    }

    /// A transaction whose refusals (`AdministrationError`) reach the caller as they were thrown, not wrapped.
    private func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.current.withTransaction(logger: logger) { connection in
                try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            if let refusal = error.closureError as? AdministrationError { throw refusal }
            throw error
        }
    }

    private static func lock(_ tenantID: Tenant.ID, on connection: PostgresConnection, logger: Logger) async throws {
        // Two int4 keys: a namespace for signing keys ("JWKS" in ASCII) and the tenant.
        let tenant = Int32(truncatingIfNeeded: tenantID)
        try await connection.query("SELECT pg_advisory_xact_lock(1246186323, \(tenant))", logger: logger)
    }

    private static func now(_ given: Date?, on connection: PostgresConnection, logger: Logger) async throws -> Date {
        if let given { return given }
        for try await now in try await connection.query("SELECT now()", logger: logger).decode(Date.self) {
            return now
        }
        return Date()
    }

    private static func binding(tenantID: Tenant.ID, kid: String, algorithm: SigningAlgorithm) -> Data {
        Data("signing-key\u{0}\(tenantID)\u{0}\(kid)\u{0}\(algorithm.name)".utf8)
    }

    private static func insert(
        _ tenantID: Tenant.ID, algorithm: SigningAlgorithm, at now: Date, activatesAt: Date,
        on connection: PostgresConnection, serverKey: ServerKey, logger: Logger
    ) async throws -> SigningKey {
        // A key that signs at once is recorded as made, and signing, from a second earlier: timestamptz keeps
        // microseconds, and a Date read back lands past the one written about once in 400 times, which would leave
        // the key "next" at the very moment it was made for. Nobody holds a token of it from that second.
        let immediate = activatesAt <= now
        let now = immediate ? now.addingTimeInterval(-1) : now
        let activatesAt = immediate ? now : activatesAt
        let pair = try SigningKeyPair.generate(algorithm)
        let kid = SigningKey.newID()
        let sealed = try serverKey.seal(
            pair.privateKeyBytes, binding: binding(tenantID: tenantID, kid: kid, algorithm: algorithm))
        let jwk = pair.publicJWK(kid: kid)
        try await connection.query(
            """
            INSERT INTO signing_keys (tenant_id, kid, algorithm, public_jwk, sealed_private_key, created_at,
                                      activates_at)
            VALUES (\(tenantID), \(kid), \(algorithm.name), \(jwk), \(ByteBuffer(bytes: sealed)), \(now),
                    \(activatesAt))
            """, logger: logger)
        logger.notice(
            "made a signing key",
            metadata: ["tenant_id": "\(tenantID)", "kid": "\(kid)", "activates_at": "\(activatesAt)"])
        return SigningKey(id: kid, algorithm: algorithm, publicJWK: jwk, createdAt: now, activatesAt: activatesAt)
    }

    /// The tenant's keys; their private halves too with `opening`, the server key. Only signing needs those: opening
    /// one costs an AES-GCM open and, for P-256, a scalar multiplication, which deciding a rotation or listing the
    /// keys has no use for.
    static func read(
        _ tenantID: Tenant.ID, on connection: PostgresConnection, opening serverKey: ServerKey?, logger: Logger
    ) async throws -> TenantSigningKeys {
        var keys: [SigningKey] = []
        var pairs: [String: SigningKeyPair] = [:]
        let rows = try await connection.query(
            """
            SELECT kid, algorithm, public_jwk, sealed_private_key, created_at, activates_at, retired_at
            FROM signing_keys WHERE tenant_id = \(tenantID)
            """, logger: logger)
        for try await (kid, name, jwk, sealed, createdAt, activatesAt, retiredAt) in rows.decode(
            (String, String, String, ByteBuffer, Date, Date, Date?).self)
        {
            guard let algorithm = SigningAlgorithm(rawValue: name) else { continue }
            keys.append(
                SigningKey(
                    id: kid, algorithm: algorithm, publicJWK: jwk, createdAt: createdAt, activatesAt: activatesAt,
                    retiredAt: retiredAt))
            if let bytes = serverKey?.open(
                Array(sealed.readableBytesView), binding: binding(tenantID: tenantID, kid: kid, algorithm: algorithm)),
                let pair = SigningKeyPair(algorithm: algorithm, privateKeyBytes: bytes)
            {
                pairs[kid] = pair
            }
        }
        var longest = 0
        for try await value in try await connection.query(
            "SELECT coalesce(max(max_token_validity), 0) FROM applications WHERE tenant_id = \(tenantID)",
            logger: logger
        ).decode(Int.self) {
            longest = value
        }
        return TenantSigningKeys(
            tenantID: tenantID,
            timeline: SigningKeyTimeline(keys: keys, longestTokenLifetime: TimeInterval(longest)), pairs: pairs)
    }
}

/// A signing key as `tessera key list` shows it.
public struct SigningKeyRecord: Sendable, Encodable {
    public let kid: String
    public let algorithm: String
    public let state: String
    public let createdAt: Date
    public let activatesAt: Date
    /// When it stops (or stopped) signing; nil while no later key or retirement is set.
    public let signsUntil: Date?
    /// When it leaves the key set; nil while it signs.
    public let publishedUntil: Date?

    init(key: SigningKey, timeline: SigningKeyTimeline, at now: Date) {
        kid = key.id
        algorithm = key.algorithm.name
        state = timeline.state(of: key, at: now).rawValue
        createdAt = key.createdAt
        activatesAt = key.activatesAt
        signsUntil = timeline.signingEnds(key)
        publishedUntil = timeline.publishedUntil(key)
    }

    enum CodingKeys: String, CodingKey {
        case kid, algorithm, state
        case createdAt = "created_at"
        case activatesAt = "activates_at"
        case signsUntil = "signs_until"
        case publishedUntil = "published_until"
    }
}
