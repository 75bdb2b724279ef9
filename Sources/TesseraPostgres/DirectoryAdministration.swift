import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// What operators do to tenants and applications from the CLI. Each operation is one statement or one
/// transaction: a refused change writes nothing.
public struct DirectoryAdministration: Sendable {
    private let client: any DatabaseClient
    private let logger: Logger
    private let clock: (@Sendable () -> Date)?

    /// - Parameter now: the clock revocations, rotations and their grace periods are dated by; the database's
    ///   own (`now()`) by default, the clock servers issue tokens by (`DatabaseClock`). Tests give theirs.
    public init(client: any DatabaseClient, logger: Logger, now: (@Sendable () -> Date)? = nil) {
        self.client = client
        self.logger = logger
        self.clock = now
    }

    /// The injected time, if any; statements read it as `COALESCE(time, now())`.
    private var time: Date? { clock?() }

    // MARK: Tenants

    public func createTenant(domain rawDomain: String) async throws -> TenantRecord {
        let domain = try Self.domain(rawDomain)
        do {
            let rows = try await client.committed(
                "INSERT INTO tenants (domain) VALUES (\(domain)) RETURNING domain, enabled, created_at", logger: logger)
            if let row = rows.first {
                let (domain, enabled, createdAt) = try row.decode((String, Bool, Date).self)
                return TenantRecord(domain: domain, enabled: enabled, createdAt: createdAt, applications: 0)
            }
        } catch  where DatabaseErrorMessage.sqlState(error) == "23505" {
            throw AdministrationError("tenant \(domain) already exists")
        }
        throw AdministrationError("tenant \(domain) was not created")
    }

    public func tenants() async throws -> [TenantRecord] {
        let rows = try await client.current.query(
            """
            SELECT t.domain, t.enabled, t.created_at, count(a.application_id)::bigint
            FROM tenants t LEFT JOIN applications a ON a.tenant_id = t.tenant_id
            GROUP BY t.tenant_id ORDER BY t.domain
            """, logger: logger)
        var records: [TenantRecord] = []
        for try await (domain, enabled, createdAt, count) in rows.decode((String, Bool, Date, Int64).self) {
            records.append(
                TenantRecord(domain: domain, enabled: enabled, createdAt: createdAt, applications: Int(count)))
        }
        return records
    }

    public func setTenant(domain rawDomain: String, enabled: Bool) async throws {
        let domain = try Self.domain(rawDomain)
        let rows = try await client.committed(
            "UPDATE tenants SET enabled = \(enabled) WHERE domain = \(domain) RETURNING tenant_id", logger: logger)
        if !rows.isEmpty { return }
        throw AdministrationError.unknownTenant(domain)
    }

    // MARK: Applications

    /// Creates an application with a fresh consumer key and secret; the secret is returned here and never again.
    public func createApplication(
        tenant rawDomain: String, settings: ApplicationSettings
    ) async throws -> (application: ApplicationRecord, secret: String) {
        let tenantID = try await tenantID(rawDomain)
        let key = CredentialGenerator.consumerKey()
        let secret = CredentialGenerator.consumerSecret()
        do {
            let rows = try await client.committed(
                """
                INSERT INTO applications (tenant_id, consumer_key, secret_hash, name, grant_types, allowed_scopes,
                    default_scopes, default_token_validity, max_token_validity, refresh_token_validity, introspect_any,
                    token_reuse, reuse_min_remaining, auth_methods, client_jwks, token_format, resources)
                VALUES (\(tenantID), \(key), \(SecretHash.make(for: secret).encoded), \(settings.name),
                    \(settings.grantTypes.map(\.rawValue).sorted()), \(settings.allowedScopes.tokens),
                    \(settings.defaultScopes.tokens), \(settings.defaultTokenValidity), \(settings.maxTokenValidity),
                    \(settings.refreshTokenValidity), \(settings.introspectAny), \(settings.tokenReuse.rawValue),
                    \(settings.reuseMinRemaining), \(settings.authentication.methods.map(\.rawValue).sorted()),
                    \(settings.authentication.keys?.json), \(settings.tokens.format.rawValue),
                    \(settings.tokens.resources))
                RETURNING \(unescaped: ApplicationRecord.columns)
                """, logger: logger)
            if let row = rows.first { return (try ApplicationRecord(row: row, tenant: Self.domain(rawDomain)), secret) }
        } catch  where DatabaseErrorMessage.sqlState(error) == "23505" {
            throw AdministrationError("an application named \"\(settings.name)\" already exists in \(rawDomain)")
        }
        throw AdministrationError("the application was not created")
    }

    public func applications(tenant rawDomain: String) async throws -> [ApplicationRecord] {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            "SELECT \(unescaped: ApplicationRecord.columns) FROM applications WHERE tenant_id = \(tenantID) ORDER BY name",
            logger: logger)
        var records: [ApplicationRecord] = []
        for try await row in rows { records.append(try ApplicationRecord(row: row, tenant: Self.domain(rawDomain))) }
        return records
    }

    public func application(tenant rawDomain: String, consumerKey: String) async throws -> ApplicationRecord {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            """
            SELECT \(unescaped: ApplicationRecord.columns) FROM applications
            WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)
            """, logger: logger)
        for try await row in rows { return try ApplicationRecord(row: row, tenant: Self.domain(rawDomain)) }
        throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
    }

    /// Replaces the secret. Without `grace` the old one, and any earlier one still in its grace period, stop working
    /// at once on every server (the change feed drops them). With `grace` seconds, the old one stays valid beside
    /// the new one until then, so that every replica of the client can move to the new one; at most these two are
    /// valid (migration 0009). With `revokeTokens`, every token issued so far is revoked in the same statement.
    public func rotateSecret(
        tenant rawDomain: String, consumerKey: String, revokeTokens: Bool = false, grace: Int = 0
    ) async throws -> SecretRotation {
        let tenantID = try await tenantID(rawDomain)
        let secret = CredentialGenerator.consumerSecret()
        let now = time
        let rows = try await client.committed(
            """
            UPDATE applications SET
                previous_secret_hash = CASE WHEN \(grace) > 0 THEN secret_hash END,
                previous_secret_expires_at = CASE WHEN \(grace) > 0
                    THEN COALESCE(\(now)::timestamptz, now()) + make_interval(secs => \(Double(grace))) END,
                secret_hash = \(SecretHash.make(for: secret).encoded),
                secret_created_at = COALESCE(\(now)::timestamptz, now()),
                tokens_revoked_before = CASE WHEN \(revokeTokens) THEN COALESCE(\(now)::timestamptz, now())
                    ELSE tokens_revoked_before END
            WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) RETURNING previous_secret_expires_at
            """, logger: logger)
        guard let row = rows.first else { throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain) }
        return SecretRotation(secret: secret, previousExpiresAt: try row.decode(Date?.self))
    }

    /// The application's secrets valid now, newest first: never the secrets themselves, only their dates.
    public func secrets(tenant rawDomain: String, consumerKey: String) async throws -> [SecretRecord] {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            """
            SELECT secret_created_at, CASE WHEN previous_secret_expires_at > COALESCE(\(time)::timestamptz, now())
                THEN previous_secret_expires_at END
            FROM applications WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)
            """, logger: logger)
        for try await (createdAt, previous) in rows.decode((Date, Date?).self) {
            return [SecretRecord(secret: .current, createdAt: createdAt, expiresAt: nil)]
                + (previous.map { [SecretRecord(secret: .previous, createdAt: nil, expiresAt: $0)] } ?? [])
        }
        throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
    }

    /// The application's registered public keys for private_key_jwt, if any.
    public func clientKeys(tenant rawDomain: String, consumerKey: String) async throws -> ClientKeySet? {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            "SELECT client_jwks FROM applications WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)",
            logger: logger)
        for try await json in rows.decode(String?.self) {
            return try json.map { text throws(ClientKeySetError) in try ClientKeySet(json: text) }
        }
        throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
    }

    /// Replaces how the application's client authenticates, on every server at once (the change feed drops the
    /// cached application). Secrets are kept: a client moving to private_key_jwt can be given both for a while.
    public func setAuthentication(
        tenant rawDomain: String, consumerKey: String, authentication: ClientAuthentication
    ) async throws -> ApplicationRecord {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.committed(
            """
            UPDATE applications SET auth_methods = \(authentication.methods.map(\.rawValue).sorted()),
                client_jwks = \(authentication.keys?.json)
            WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)
            RETURNING \(unescaped: ApplicationRecord.columns)
            """, logger: logger)
        guard let row = rows.first else { throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain) }
        return try ApplicationRecord(row: row, tenant: Self.domain(rawDomain))
    }

    /// Changes how the application's access tokens are written and what they may be for. Tokens already issued
    /// keep their format and audience; a refresh token's later access tokens take the new format, and their
    /// resources narrow to those still allowed.
    public func setTokens(tenant rawDomain: String, consumerKey: String, tokens: TokenAudience) async throws
        -> ApplicationRecord
    {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.committed(
            """
            UPDATE applications SET token_format = \(tokens.format.rawValue), resources = \(tokens.resources)
            WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)
            RETURNING \(unescaped: ApplicationRecord.columns)
            """, logger: logger)
        guard let row = rows.first else { throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain) }
        return try ApplicationRecord(row: row, tenant: Self.domain(rawDomain))
    }

    /// The scopes an application may request and those a request without `scope` gets (checked by
    /// `ApplicationSettings.scopes`). Tokens already issued keep theirs.
    public func setScopes(tenant rawDomain: String, consumerKey: String, allowed: ScopeSet, defaults: ScopeSet)
        async throws -> ApplicationRecord
    {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.committed(
            """
            UPDATE applications SET allowed_scopes = \(allowed.tokens), default_scopes = \(defaults.tokens)
            WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)
            RETURNING \(unescaped: ApplicationRecord.columns)
            """, logger: logger)
        guard let row = rows.first else { throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain) }
        return try ApplicationRecord(row: row, tenant: Self.domain(rawDomain))
    }

    /// Disabling also revokes every token issued so far: enabling again does not bring them back.
    public func setApplication(tenant rawDomain: String, consumerKey: String, enabled: Bool) async throws {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.committed(
            """
            UPDATE applications SET enabled = \(enabled),
                tokens_revoked_before = CASE WHEN \(enabled) THEN tokens_revoked_before
                    ELSE COALESCE(\(time)::timestamptz, now()) END
            WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) RETURNING application_id
            """, logger: logger)
        if !rows.isEmpty { return }
        throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
    }

    // MARK: Tokens

    /// Revokes every token of the application issued until now, or only those of one user, on every server at
    /// once: a watermark that introspection and the refresh grant read, one row whatever the number of tokens.
    public func revokeTokens(tenant rawDomain: String, consumerKey: String, username: String? = nil) async throws {
        let tenantID = try await tenantID(rawDomain)
        guard let username else {
            let rows = try await client.committed(
                """
                UPDATE applications SET tokens_revoked_before = COALESCE(\(time)::timestamptz, now())
                WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) RETURNING application_id
                """, logger: logger)
            if !rows.isEmpty { return }
            throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
        }
        let rows = try await client.committed(
            """
            WITH target AS (
                SELECT a.application_id, u.user_id FROM applications a, users u
                WHERE a.tenant_id = \(tenantID) AND a.consumer_key = \(consumerKey)
                  AND u.tenant_id = \(tenantID) AND lower(u.username) = lower(\(username))
            )
            INSERT INTO user_token_revocations (tenant_id, application_id, user_id, revoked_before)
            SELECT \(tenantID), application_id, user_id, COALESCE(\(time)::timestamptz, now()) FROM target
            ON CONFLICT (tenant_id, application_id, user_id) DO UPDATE SET revoked_before = excluded.revoked_before
            RETURNING user_id
            """, logger: logger)
        if !rows.isEmpty { return }
        _ = try await application(tenant: rawDomain, consumerKey: consumerKey)
        throw AdministrationError("unknown user \(username) in \(rawDomain.lowercased())")
    }

    // MARK: Lookups

    public func tenantID(_ rawDomain: String) async throws -> Tenant.ID {
        let domain = try Self.domain(rawDomain)
        let rows = try await client.current.query(
            "SELECT tenant_id FROM tenants WHERE domain = \(domain)", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw AdministrationError.unknownTenant(domain)
    }

    private static func domain(_ raw: String) throws(AdministrationError) -> String {
        guard let domain = Tenant.normalizedDomain(raw) else {
            throw AdministrationError(
                "\"\(raw.prefix(80))\" is not a valid tenant domain (letters, digits, hyphens and dots)")
        }
        return domain
    }
}

/// A refused administrative change, in one line.
public struct AdministrationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    static func unknownTenant(_ domain: String) -> AdministrationError {
        AdministrationError("no tenant \(domain) (see `tessera tenant list`)")
    }

    static func unknownApplication(_ key: String, tenant: String) -> AdministrationError {
        AdministrationError("no application with consumer key \(key.prefix(80)) in tenant \(tenant)")
    }
}
