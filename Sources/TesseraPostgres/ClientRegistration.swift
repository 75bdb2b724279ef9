import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// What a client registering itself (RFC 7591) adds to `createApplication`: the initial access token it presented
/// (nil for an open registration), the registration access token it is given, and its software's name and version.
public struct ClientRegistration: Sendable {
    public let initialTokenHash: TokenHash?
    public let accessTokenHash: TokenHash
    public let softwareID: String?
    public let softwareVersion: String?
    /// Kept as registered for the authorization code grant; nothing uses them yet.
    public let redirectURIs: [String]

    public init(
        initialTokenHash: TokenHash?, accessTokenHash: TokenHash, softwareID: String?, softwareVersion: String?,
        redirectURIs: [String] = []
    ) {
        self.initialTokenHash = initialTokenHash
        self.accessTokenHash = accessTokenHash
        self.softwareID = softwareID
        self.softwareVersion = softwareVersion
        self.redirectURIs = redirectURIs
    }

    /// Initial access tokens are `tsr_ri_<random>`, registration access tokens `tsr_ra_<random>`: secret scanners
    /// know them, and neither can pass for an access token.
    public static func newInitialToken() -> String { "tsr_ri_" + CredentialGenerator.consumerSecret() }
    public static func newAccessToken() -> String { "tsr_ra_" + CredentialGenerator.consumerSecret() }

    /// An initial access token's id: the first 16 hexadecimal digits of its SHA-256, which names it in lists and
    /// revocations without being usable as the token (nor reversible to it).
    public static func tokenID(_ hash: [UInt8]) -> String {
        hash.prefix(tokenIDLength / 2).hexadecimal
    }
    public static let tokenIDLength = 16

    /// The longest an initial access token lives: 30 days.
    public static let maximumInitialTokenLifetime = 30 * 86_400
    public static let maximumInitialTokenUses = 10_000
}

/// An initial access token as an administrator sees it: its id, not the token.
public struct RegistrationTokenRecord: Sendable, Encodable {
    public let id: String
    public let usesLeft: Int
    public let expiresAt: Date
    public let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case usesLeft = "uses_left"
        case expiresAt = "expires_at"
        case createdAt = "created_at"
    }
}

/// A client as it registered itself: its application and the metadata only registration gives.
public struct RegisteredClient: Sendable {
    public let application: ApplicationRecord
    public let softwareID: String?
    public let softwareVersion: String?
    public let redirectURIs: [String]

    public init(application: ApplicationRecord, softwareID: String?, softwareVersion: String?, redirectURIs: [String]) {
        self.application = application
        self.softwareID = softwareID
        self.softwareVersion = softwareVersion
        self.redirectURIs = redirectURIs
    }
}

/// A registration refused for its token: answered 401 `invalid_token` (RFC 6750), never audited as a change.
public enum RegistrationRefusal: Error, Sendable {
    /// No bearer token at all (RFC 6750 §3.1: the challenge then names no error).
    case missingToken
    /// The initial access token is unknown, spent or expired; or the registration access token does not match.
    case invalidToken
    /// An update (RFC 7592 §2.2) presented a `client_secret` that is not the client's: 400, not 401, for the token
    /// was good.
    case secretMismatch
    /// An open registration asked for scopes the tenant has not opened (400 `invalid_client_metadata`).
    case scopeNotOpen(String)
    /// The tenant's open registrations of the last hour reached its bound (429).
    case tooManyRegistrations
}

extension DirectoryAdministration {
    /// An initial access token for `uses` registrations within `lifetime` seconds; the token is returned here and
    /// never again.
    public func createRegistrationToken(tenant rawDomain: String, uses: Int, lifetime: Int) async throws
        -> (token: String, id: String, expiresAt: Date)
    {
        guard (1...ClientRegistration.maximumInitialTokenUses).contains(uses) else {
            throw AdministrationError("uses must be 1 to \(ClientRegistration.maximumInitialTokenUses)")
        }
        guard (1...ClientRegistration.maximumInitialTokenLifetime).contains(lifetime) else {
            throw AdministrationError(
                "the lifetime must be 1 second to \(ClientRegistration.maximumInitialTokenLifetime / 86_400) days")
        }
        let tenantID = try await tenantID(rawDomain)
        let token = ClientRegistration.newInitialToken()
        let tokenHash = TokenHash(of: token).bytes
        let id = ClientRegistration.tokenID(tokenHash)
        let hash = ByteBuffer(bytes: tokenHash)
        let (logger, now) = (logger, time)
        let expiresAt = try await audit.record(
            "registration-token.create", tenantID: tenantID, target: "\(id), \(uses) uses",
            outcome: { (expiry: Date) in "ok: expires \(expiry)" }
        ) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO registration_tokens (tenant_id, token_hash, uses_left, expires_at)
                VALUES (\(tenantID), \(hash), \(uses),
                    COALESCE(\(now)::timestamptz, now()) + make_interval(secs => \(Double(lifetime))))
                RETURNING expires_at
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw AdministrationError("the token was not created") }
            return try row.decode(Date.self)
        }
        return (token, id, expiresAt)
    }

    /// The tenant's initial access tokens, newest first (at most 1000), spent and expired ones too: what an
    /// administrator needs to find one to revoke. Never the tokens themselves, only their ids.
    public func registrationTokens(tenant rawDomain: String) async throws -> [RegistrationTokenRecord] {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            """
            SELECT token_hash, uses_left, expires_at, created_at FROM registration_tokens
            WHERE tenant_id = \(tenantID) ORDER BY created_at DESC LIMIT 1000
            """, logger: logger)
        var records: [RegistrationTokenRecord] = []
        for try await (hash, uses, expiresAt, createdAt) in rows.decode((ByteBuffer, Int, Date, Date).self) {
            records.append(
                RegistrationTokenRecord(
                    id: ClientRegistration.tokenID(Array(hash.readableBytesView)), usesLeft: uses,
                    expiresAt: expiresAt, createdAt: createdAt))
        }
        return records
    }

    /// Revokes the initial access token with `id` (as `registrationTokens` lists it): no client registers with it
    /// any more; those registered stay.
    public func revokeRegistrationToken(tenant rawDomain: String, id: String) async throws {
        guard id.utf8.count == ClientRegistration.tokenIDLength, id.allSatisfy(\.isHexDigit) else {
            throw AdministrationError(
                "a registration token id is \(ClientRegistration.tokenIDLength) hexadecimal digits, as the list shows")
        }
        let tenantID = try await tenantID(rawDomain)
        let (logger, prefix) = (logger, id.lowercased())
        _ = try await audit.record("registration-token.revoke", tenantID: tenantID, target: prefix) { connection in
            let rows = try await connection.query(
                """
                DELETE FROM registration_tokens
                WHERE tenant_id = \(tenantID) AND left(encode(token_hash, 'hex'), \(Int32(ClientRegistration.tokenIDLength)))
                    = \(prefix)
                RETURNING 1
                """, logger: logger
            ).collect()
            guard !rows.isEmpty else {
                throw AdministrationError("no registration token \(prefix) in \(rawDomain)", kind: .notFound)
            }
        }
    }

    /// The application registered as `consumerKey` whose registration access token is `accessToken` (RFC 7592),
    /// with its registered metadata; `RegistrationRefusal.invalidToken` for anything else, an unknown client included.
    public func registeredClient(tenant rawDomain: String, consumerKey: String, accessToken: String) async throws
        -> RegisteredClient
    {
        let (domain, tenantID) = try await registrationTenant(rawDomain)
        let rows = try await client.current.query(
            """
            SELECT \(unescaped: ApplicationRecord.columns), registration_token_hash, software_id, software_version,
                redirect_uris
            FROM applications WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) AND enabled
              AND EXISTS (SELECT 1 FROM tenants WHERE tenant_id = \(tenantID) AND enabled)
            """, logger: logger)
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let registration = columns.count - 4
            let stored = try columns[registration].decode(ByteBuffer?.self)
            guard let stored, TokenHash(of: accessToken).matches(Array(stored.readableBytesView)) else { break }
            return RegisteredClient(
                application: try ApplicationRecord(row: row, tenant: domain),
                softwareID: try columns[registration + 1].decode(String?.self),
                softwareVersion: try columns[registration + 2].decode(String?.self),
                redirectURIs: try columns[registration + 3].decode([String].self))
        }
        throw RegistrationRefusal.invalidToken
    }

    /// Whether `token` is an initial access token of the tenant that can still register a client: read before the
    /// request's body is, so that a caller without one learns nothing of the metadata rules. The registration
    /// itself spends it, in its own transaction.
    public func checkRegistrationToken(tenant rawDomain: String, token: String) async throws {
        let (_, tenantID) = try await registrationTenant(rawDomain)
        let rows = try await client.current.query(
            """
            SELECT 1 FROM registration_tokens
            WHERE tenant_id = \(tenantID) AND token_hash = \(ByteBuffer(bytes: TokenHash(of: token).bytes))
              AND uses_left > 0 AND expires_at > now()
              AND EXISTS (SELECT 1 FROM tenants WHERE tenant_id = \(tenantID) AND enabled)
            """, logger: logger)
        for try await _ in rows { return }
        throw RegistrationRefusal.invalidToken
    }

    /// The tenant of a registration request; an unknown or malformed one is a bad token, so that the answer tells
    /// nothing of which tenants exist. An outage stays an outage.
    private func registrationTenant(_ rawDomain: String) async throws -> (String, Tenant.ID) {
        guard let domain = Tenant.normalizedDomain(rawDomain) else { throw RegistrationRefusal.invalidToken }
        do {
            return (domain, try await tenantID(domain))
        } catch is AdministrationError {
            throw RegistrationRefusal.invalidToken
        }
    }

    /// Replaces a client's registered metadata (RFC 7592 §2.2) with `settings`, its software and redirect URIs, checked against its registration access token on the row locked for the change. A
    /// `presentedSecret` must be the client's current secret (§2.2), else `RegistrationRefusal.secretMismatch`.
    /// The secret, the consumer key, the token lifetimes and the registration access token stay as they are.
    public func updateRegistration(
        tenant rawDomain: String, consumerKey: String, accessToken: String, settings: ApplicationSettings,
        softwareID: String?, softwareVersion: String?, redirectURIs: [String], presentedSecret: String?
    ) async throws -> RegisteredClient {
        let (tenantID, logger) = (try await registrationTenant(rawDomain).1, logger)
        let check = Self.registrationCheck(tenantID: tenantID, consumerKey: consumerKey, accessToken: accessToken)
        let authentication = settings.authentication
        let record = try await updateApplication(
            "app.update-registration", tenant: rawDomain, consumerKey: consumerKey,
            set: """
                name = \(settings.name), grant_types = \(settings.grantTypes.map(\.rawValue).sorted()),
                allowed_scopes = \(settings.allowedScopes.tokens), default_scopes = \(settings.defaultScopes.tokens),
                auth_methods = \(authentication.methods.map(\.rawValue).sorted()), client_jwks = \(authentication.keys?.json),
                client_jwks_uri = \(authentication.keysURL),
                software_id = \(softwareID), software_version = \(softwareVersion), redirect_uris = \(redirectURIs)
                """,
            check: { connection, _ in
                let secretHash = try await check(connection, logger)
                if let presentedSecret, SecretHash(encoded: secretHash)?.verifies(presentedSecret) != true {
                    throw RegistrationRefusal.secretMismatch
                }
            })
        return RegisteredClient(
            application: record, softwareID: softwareID, softwareVersion: softwareVersion, redirectURIs: redirectURIs)
    }

    /// Ends a registration (RFC 7592 §2.3): the application is disabled, its tokens revoked, its registration access
    /// token forgotten.
    public func deleteRegistration(tenant rawDomain: String, consumerKey: String, accessToken: String) async throws {
        let (_, tenantID) = try await registrationTenant(rawDomain)
        let check = Self.registrationCheck(tenantID: tenantID, consumerKey: consumerKey, accessToken: accessToken)
        let logger = logger
        _ = try await updateApplication(
            "app.unregister", tenant: rawDomain, consumerKey: consumerKey,
            set: """
                enabled = false, registration_token_hash = NULL,
                tokens_revoked_before = COALESCE(\(time)::timestamptz, now())
                """,
            check: { connection, _ in _ = try await check(connection, logger) })
    }

    /// Locks the registered client's row and checks `accessToken` against its registration access token, in the
    /// change's own transaction: of two changes at once, the second sees the first's outcome (a deletion leaves no
    /// token to match). Answers the client's secret hash, for an update that presents the secret.
    private static func registrationCheck(tenantID: Tenant.ID, consumerKey: String, accessToken: String)
        -> @Sendable (PostgresConnection, Logger) async throws -> String
    {
        let presented = TokenHash(of: accessToken)
        return { connection, logger in
            let rows = try await connection.query(
                """
                SELECT registration_token_hash, secret_hash FROM applications
                WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) AND enabled
                  AND EXISTS (SELECT 1 FROM tenants WHERE tenant_id = \(tenantID) AND enabled)
                FOR UPDATE
                """, logger: logger
            ).collect()
            guard let (stored, secretHash) = try rows.first?.decode((ByteBuffer?, String).self), let stored,
                presented.matches(Array(stored.readableBytesView))
            else { throw RegistrationRefusal.invalidToken }
            return secretHash
        }
    }
}
