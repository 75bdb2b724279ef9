import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// What operators do to tenants and applications from the CLI. Each change is one transaction with its audit
/// event (`AuditTrail`): a refused change writes nothing but the record of its refusal.
public struct DirectoryAdministration: Sendable {
    let client: any DatabaseClient
    let logger: Logger
    private let clock: (@Sendable () -> Date)?
    public let audit: AuditTrail

    /// - Parameters:
    ///   - now: the clock revocations, rotations and their grace periods are dated by; the database's own
    ///     (`now()`) by default, the clock servers issue tokens by (`DatabaseClock`). Tests give theirs.
    ///   - actor: who the audit trail says made the changes.
    public init(client: any DatabaseClient, logger: Logger, now: (@Sendable () -> Date)? = nil, actor: String = "cli") {
        self.client = client
        self.logger = logger
        self.clock = now
        self.audit = AuditTrail(actor: actor, client: client, logger: logger)
    }

    /// The injected time, if any; statements read it as `COALESCE(time, now())`.
    var time: Date? { clock?() }

    // MARK: Tenants

    public func createTenant(domain rawDomain: String) async throws -> TenantRecord {
        let domain = try Self.domain(rawDomain)
        do {
            // The tenant and its first event in one statement: the event needs the new tenant's id.
            let rows = try await client.committed(
                """
                WITH tenant AS (
                    INSERT INTO tenants (domain) VALUES (\(domain)) RETURNING tenant_id, domain, enabled, created_at
                ), event AS (
                    INSERT INTO audit_events (tenant_id, actor, operation, target, outcome)
                    SELECT tenant_id, \(audit.actor), 'tenant.create', domain, 'ok' FROM tenant
                )
                SELECT domain, enabled, created_at FROM tenant
                """, logger: logger)
            if let row = rows.first {
                let (domain, enabled, createdAt) = try row.decode((String, Bool, Date).self)
                return TenantRecord(domain: domain, enabled: enabled, createdAt: createdAt, applications: 0)
            }
        } catch  where DatabaseErrorMessage.sqlState(error) == "23505" {
            let refusal = AdministrationError("tenant \(domain) already exists", kind: .conflict)
            if let tenantID = try? await tenantID(domain) {
                await audit.recordRefusal(refusal, "tenant.create", tenantID: tenantID, target: domain)
            }
            throw refusal
        }
        throw AdministrationError("tenant \(domain) was not created")
    }

    /// The tenants by domain; a page of at most `limit` after the domain `after` (keyset paging: stable while
    /// tenants come and go).
    public func tenants(after: String? = nil, limit: Int = .max) async throws -> [TenantRecord] {
        try await tenants(where: "t.domain > COALESCE(\(after), '')", limit: limit)
    }

    /// One tenant, as `tenants()` lists it.
    public func tenant(domain rawDomain: String) async throws -> TenantRecord {
        let domain = try Self.domain(rawDomain)
        guard let record = try await tenants(where: "t.domain = \(domain)", limit: 1).first else {
            throw AdministrationError.unknownTenant(domain)
        }
        return record
    }

    private func tenants(where condition: PostgresQuery, limit: Int) async throws -> [TenantRecord] {
        var query = condition
        query.sql = """
            SELECT t.domain, t.enabled, t.created_at, count(a.application_id)::bigint
            FROM tenants t LEFT JOIN applications a ON a.tenant_id = t.tenant_id
            WHERE \(condition.sql)
            GROUP BY t.tenant_id ORDER BY t.domain LIMIT \(limit)
            """
        let rows = try await client.current.query(query, logger: logger)
        var records: [TenantRecord] = []
        for try await (domain, enabled, createdAt, count) in rows.decode((String, Bool, Date, Int64).self) {
            records.append(
                TenantRecord(domain: domain, enabled: enabled, createdAt: createdAt, applications: Int(count)))
        }
        return records
    }

    public func setTenant(domain rawDomain: String, enabled: Bool) async throws {
        let domain = try Self.domain(rawDomain)
        let tenantID = try await tenantID(domain)
        let rows = try await audit.record(
            enabled ? "tenant.enable" : "tenant.disable", tenantID: tenantID, target: domain
        ) { connection in
            try await connection.query(
                "UPDATE tenants SET enabled = \(enabled) WHERE tenant_id = \(tenantID) RETURNING tenant_id",
                logger: logger
            ).collect()
        }
        if !rows.isEmpty { return }
        throw AdministrationError.unknownTenant(domain)
    }

    // MARK: Applications

    /// Creates an application with a fresh consumer key and secret; the secret is returned here and never again.
    /// With `registration`, a client registering itself (RFC 7591): its initial access token is spent in the same
    /// transaction, or nothing is made (`RegistrationRefusal.invalidToken`).
    public func createApplication(
        tenant rawDomain: String, settings: ApplicationSettings, registration: ClientRegistration? = nil
    ) async throws -> (application: ApplicationRecord, secret: String) {
        do {
            try settings.checkCoherence()
        } catch {
            throw AdministrationError("\(error)")
        }
        let tenantID = try await tenantID(rawDomain)
        let key = CredentialGenerator.consumerKey()
        let secret = CredentialGenerator.consumerSecret()
        let rows = try await audit.record(
            registration == nil ? "app.create" : "app.register", tenantID: tenantID, target: settings.name,
            outcome: { _ in "ok: consumer key \(key)" }
        ) { connection in
            if let registration, registration.initialTokenHash == nil {
                try await Self.admitOpenRegistration(
                    connection, tenantID: tenantID, scopes: settings.allowedScopes, logger: logger)
            } else if let initialTokenHash = registration?.initialTokenHash {
                let spent = try await connection.query(
                    """
                    UPDATE registration_tokens SET uses_left = uses_left - 1
                    WHERE tenant_id = \(tenantID) AND token_hash = \(ByteBuffer(bytes: initialTokenHash.bytes))
                      AND uses_left > 0 AND expires_at > now()
                      AND EXISTS (SELECT 1 FROM tenants WHERE tenant_id = \(tenantID) AND enabled)
                    RETURNING uses_left
                    """, logger: logger
                ).collect()
                if spent.isEmpty { throw RegistrationRefusal.invalidToken }
            }
            do {
                return try await connection.query(
                    """
                    INSERT INTO applications (tenant_id, consumer_key, secret_hash, name, grant_types, allowed_scopes,
                        default_scopes, default_token_validity, max_token_validity, refresh_token_validity, introspect_any,
                        token_reuse, reuse_min_remaining, auth_methods, client_jwks, client_jwks_uri, token_format, resources,
                        registration_token_hash, software_id, software_version, redirect_uris, registered_openly)
                    VALUES (\(tenantID), \(key), \(SecretHash.make(for: secret).encoded), \(settings.name),
                        \(settings.grantTypes.map(\.rawValue).sorted()), \(settings.allowedScopes.tokens),
                        \(settings.defaultScopes.tokens), \(settings.defaultTokenValidity), \(settings.maxTokenValidity),
                        \(settings.refreshTokenValidity), \(settings.introspectAny), \(settings.tokenReuse.rawValue),
                        \(settings.reuseMinRemaining), \(settings.authentication.methods.map(\.rawValue).sorted()),
                        \(settings.authentication.keys?.json), \(settings.authentication.keysURL),
                        \(settings.tokens.format.rawValue),
                        \(settings.tokens.resources), \(registration.map { ByteBuffer(bytes: $0.accessTokenHash.bytes) }),
                        \(registration?.softwareID), \(registration?.softwareVersion),
                        \(registration?.redirectURIs ?? settings.redirectURIs),
                        \(registration != nil && registration?.initialTokenHash == nil))
                    RETURNING \(unescaped: ApplicationRecord.columns)
                    """, logger: logger
                ).collect()
            } catch  where DatabaseErrorMessage.sqlState(error) == "23505" {
                throw AdministrationError(
                    "an application named \"\(settings.name)\" already exists in \(rawDomain)", kind: .conflict)
            }
        }
        if let row = rows.first { return (try ApplicationRecord(row: row, tenant: Self.domain(rawDomain)), secret) }
        throw AdministrationError("the application was not created")
    }

    /// The tenant's applications by name; a page of at most `limit` after the name `after`.
    /// - Parameter search: only names containing this text, ignoring case (a `%` or `_` in it is a character).
    public func applications(
        tenant rawDomain: String, after: String? = nil, search: String? = nil, limit: Int = .max
    ) async throws -> [ApplicationRecord] {
        let tenantID = try await tenantID(rawDomain)
        let pattern = search.map { "%" + Self.likeEscaped($0) + "%" } ?? "%"
        let rows = try await client.current.query(
            """
            SELECT \(unescaped: ApplicationRecord.columns) FROM applications
            WHERE tenant_id = \(tenantID) AND name > COALESCE(\(after), '') AND name ILIKE \(pattern)
            ORDER BY name LIMIT \(limit)
            """,
            logger: logger)
        var records: [ApplicationRecord] = []
        for try await row in rows { records.append(try ApplicationRecord(row: row, tenant: Self.domain(rawDomain))) }
        return records
    }

    /// `text` as a LIKE pattern that matches it literally (the default escape character is the backslash).
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
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

    /// The longest grace period of a replaced secret: 30 days, long enough for a monthly deploy cycle; any longer and
    /// the old secret is simply a second long-lived secret.
    public static let maximumGrace = 30 * 86_400

    /// Replaces the secret. Without `grace` the old one, and any earlier one still in its grace period, stop working
    /// at once on every server (the change feed drops them). With `grace` seconds, the old one stays valid beside
    /// the new one until then, so that every replica of the client can move to the new one; at most these two are
    /// valid (migration 0009). With `revokeTokens`, every token issued so far is revoked in the same statement.
    public func rotateSecret(
        tenant rawDomain: String, consumerKey: String, revokeTokens: Bool = false, grace: Int = 0
    ) async throws -> SecretRotation {
        guard (0...Self.maximumGrace).contains(grace) else {
            throw AdministrationError("the grace period must be 0 to \(Self.maximumGrace / 86_400) days")
        }
        if revokeTokens, grace > 0 {
            throw AdministrationError(
                "revoking every token is for a leaked secret, which must stop at once: it takes no grace period")
        }
        let tenantID = try await tenantID(rawDomain)
        let secret = CredentialGenerator.consumerSecret()
        let now = time
        let hash = SecretHash.make(for: secret).encoded
        let logger = logger
        return try await audit.record("app.rotate-secret", tenantID: tenantID, target: consumerKey) { connection in
            let rows = try await connection.query(
                """
                UPDATE applications SET
                    previous_secret_hash = CASE WHEN \(grace) > 0 THEN secret_hash END,
                    previous_secret_expires_at = CASE WHEN \(grace) > 0
                        THEN COALESCE(\(now)::timestamptz, now()) + make_interval(secs => \(Double(grace))) END,
                    secret_hash = \(hash),
                    secret_created_at = COALESCE(\(now)::timestamptz, now()),
                    tokens_revoked_before = CASE WHEN \(revokeTokens) THEN COALESCE(\(now)::timestamptz, now())
                        ELSE tokens_revoked_before END
                WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) RETURNING previous_secret_expires_at
                """, logger: logger
            ).collect()
            guard let row = rows.first else {
                throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
            }
            return SecretRotation(secret: secret, previousExpiresAt: try row.decode(Date?.self))
        }
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

    /// How the application's client authenticates now: its methods, and its public keys or their URL.
    public func authentication(tenant rawDomain: String, consumerKey: String) async throws -> ClientAuthentication {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            """
            SELECT auth_methods, client_jwks, client_jwks_uri FROM applications
            WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)
            """, logger: logger)
        for try await (methods, json, url) in rows.decode(([String], String?, String?).self) {
            let keys = try json.map { text throws(ClientKeySetError) in try ClientKeySet(json: text) }
            return try ClientAuthentication(
                methods: ClientAuthentication.methods(named: methods), keys: keys, keysURL: url)
        }
        throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
    }

    /// Replaces how the application's client authenticates, on every server at once (the change feed drops the
    /// cached application). Secrets are kept: a client moving to private_key_jwt can be given both for a while.
    public func setAuthentication(
        tenant rawDomain: String, consumerKey: String, authentication: ClientAuthentication
    ) async throws -> ApplicationRecord {
        try await updateApplication(
            "app.set-auth", tenant: rawDomain, consumerKey: consumerKey,
            set: """
                auth_methods = \(authentication.methods.map(\.rawValue).sorted()), client_jwks = \(authentication.keys?.json),
                client_jwks_uri = \(authentication.keysURL)
                """)
    }

    /// Changes how the application's access tokens are written and what they may be for. Tokens already issued
    /// keep their format and audience; a refresh token's later access tokens take the new format, and their
    /// resources narrow to those still allowed.
    public func setTokens(tenant rawDomain: String, consumerKey: String, tokens: TokenAudience) async throws
        -> ApplicationRecord
    {
        try await updateApplication(
            "app.set-tokens", tenant: rawDomain, consumerKey: consumerKey,
            set: "token_format = \(tokens.format.rawValue), resources = \(tokens.resources)")
    }

    /// Where the authorization endpoint may send the application's browser back (checked by
    /// `ApplicationSettings.redirectURIs`); an application allowed the authorization code grant keeps at least one, read
    /// and changed in one transaction. A client known by its metadata document is not changed here: its document says.
    /// Codes already issued keep their redirect URI.
    public func setRedirectURIs(tenant rawDomain: String, consumerKey: String, uris: [String]) async throws
        -> ApplicationRecord
    {
        let checked: [String]
        do {
            checked = try ApplicationSettings.redirectURIs(uris)
        } catch {
            throw AdministrationError("\(error)")
        }
        let logger = logger
        return try await updateApplication(
            "app.set-redirect-uris", tenant: rawDomain, consumerKey: consumerKey, set: "redirect_uris = \(checked)"
        ) { connection, tenantID in
            let rows = try await connection.query(
                """
                SELECT grant_types, metadata_document FROM applications
                WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) FOR UPDATE
                """, logger: logger
            ).collect()
            guard let row = rows.first else {
                throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
            }
            let (grantTypes, fromDocument) = try row.decode(([String], Bool).self)
            if fromDocument {
                throw AdministrationError(
                    "the client's redirect URIs are its metadata document's; it changes them there")
            }
            if checked.isEmpty, grantTypes.contains(ApplicationSettings.authorizationCodeGrantType.rawValue) {
                throw AdministrationError("the authorization_code grant needs at least one redirect URI")
            }
        }
    }

    /// The scopes an application may request and those a request without `scope` gets (checked by
    /// `ApplicationSettings.scopes`); without `defaults` the current ones stay, which must be among `allowed`, read
    /// and changed in one transaction. Tokens already issued keep theirs.
    public func setScopes(tenant rawDomain: String, consumerKey: String, allowed: ScopeSet, defaults: ScopeSet?)
        async throws -> ApplicationRecord
    {
        guard let defaults else {
            // The current defaults, read under the row's lock in the transaction that changes the scopes.
            let logger = logger
            return try await updateApplication(
                "app.set-scopes", tenant: rawDomain, consumerKey: consumerKey, set: "allowed_scopes = \(allowed.tokens)"
            ) { connection, tenantID in
                let rows = try await connection.query(
                    """
                    SELECT default_scopes FROM applications
                    WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey) FOR UPDATE
                    """, logger: logger
                ).collect()
                guard let row = rows.first else {
                    throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
                }
                if let refusal = ApplicationSettings.outsideAllowed(ScopeSet(try row.decode([String].self)), allowed) {
                    throw AdministrationError(refusal.description)
                }
            }
        }
        return try await updateApplication(
            "app.set-scopes", tenant: rawDomain, consumerKey: consumerKey,
            set: "allowed_scopes = \(allowed.tokens), default_scopes = \(defaults.tokens)")
    }

    /// Disabling also revokes every token issued so far: enabling again does not bring them back.
    @discardableResult
    public func setApplication(tenant rawDomain: String, consumerKey: String, enabled: Bool) async throws
        -> ApplicationRecord
    {
        try await updateApplication(
            enabled ? "app.enable" : "app.disable", tenant: rawDomain, consumerKey: consumerKey,
            set: """
                enabled = \(enabled), tokens_revoked_before = CASE WHEN \(enabled) THEN tokens_revoked_before
                    ELSE COALESCE(\(time)::timestamptz, now()) END
                """)
    }

    /// One audited UPDATE of an application: `assignments` is its SET list, with binds of its own; `check` runs
    /// first in the same transaction and may refuse.
    func updateApplication(
        _ operation: String, tenant rawDomain: String, consumerKey: String, set assignments: PostgresQuery,
        check: (@Sendable (PostgresConnection, Tenant.ID) async throws -> Void)? = nil
    ) async throws -> ApplicationRecord {
        let tenantID = try await tenantID(rawDomain)
        var query = PostgresQuery(unsafeSQL: "UPDATE applications SET " + assignments.sql)
        var bindings = assignments.binds
        bindings.append(tenantID)
        bindings.append(consumerKey)
        query.sql += """
             WHERE tenant_id = $\(bindings.count - 1) AND consumer_key = $\(bindings.count)
             RETURNING \(ApplicationRecord.columns)
            """
        query.binds = bindings
        let (domain, logger, statement) = (try Self.domain(rawDomain), logger, query)
        return try await audit.record(operation, tenantID: tenantID, target: consumerKey) { connection in
            try await check?(connection, tenantID)
            let rows: [PostgresRow]
            do {
                rows = try await connection.query(statement, logger: logger).collect()
            } catch  where DatabaseErrorMessage.sqlState(error) == "23505" {
                throw AdministrationError("another application of \(domain) has that name", kind: .conflict)
            }
            guard let row = rows.first else {
                throw AdministrationError.unknownApplication(consumerKey, tenant: rawDomain)
            }
            return try ApplicationRecord(row: row, tenant: domain)
        }
    }

    // MARK: Tokens

    /// Revokes every token of the application issued until now, or only those of one user, on every server at
    /// once: a watermark that introspection and the refresh grant read, one row whatever the number of tokens.
    public func revokeTokens(tenant rawDomain: String, consumerKey: String, username: String? = nil) async throws {
        guard let username else {
            _ = try await updateApplication(
                "token.revoke", tenant: rawDomain, consumerKey: consumerKey,
                set: "tokens_revoked_before = COALESCE(\(time)::timestamptz, now())")
            return
        }
        let tenantID = try await tenantID(rawDomain)
        let (now, logger) = (time, logger)
        try await audit.record("token.revoke", tenantID: tenantID, target: "\(consumerKey) user \(username)") {
            connection in
            let rows = try await connection.query(
                """
                WITH target AS (
                    SELECT a.application_id, u.user_id FROM applications a, users u
                    WHERE a.tenant_id = \(tenantID) AND a.consumer_key = \(consumerKey)
                      AND u.tenant_id = \(tenantID) AND lower(u.username) = lower(\(username))
                )
                INSERT INTO user_token_revocations (tenant_id, application_id, user_id, revoked_before)
                SELECT \(tenantID), application_id, user_id, COALESCE(\(now)::timestamptz, now()) FROM target
                ON CONFLICT (tenant_id, application_id, user_id) DO UPDATE SET revoked_before = excluded.revoked_before
                RETURNING user_id
                """, logger: logger
            ).collect()
            if !rows.isEmpty { return }
            _ = try await application(tenant: rawDomain, consumerKey: consumerKey)
            throw AdministrationError("unknown user \(username) in \(rawDomain.lowercased())", kind: .notFound)
        }
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

/// A refused administrative change, in one line, and what kind of refusal it is (the admin API's status).
public struct AdministrationError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The input cannot work (400).
        case invalid
        /// What the change names does not exist (404).
        case notFound
        /// It conflicts with what exists: a name taken (409).
        case conflict
    }

    public let description: String
    public let kind: Kind

    public init(_ description: String, kind: Kind = .invalid) {
        self.description = description
        self.kind = kind
    }

    static func unknownTenant(_ domain: String) -> AdministrationError {
        AdministrationError("no tenant \(domain) (see `tessera tenant list`)", kind: .notFound)
    }

    static func unknownApplication(_ key: String, tenant: String) -> AdministrationError {
        AdministrationError("no application with consumer key \(key.prefix(80)) in tenant \(tenant)", kind: .notFound)
    }
}
