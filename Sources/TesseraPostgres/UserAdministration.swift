import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// What operators do to a tenant's users from the CLI. Passwords arrive already hashed: nothing here sees one, and
/// the audit trail records the username only.
public struct UserAdministration: Sendable {
    let client: any DatabaseClient
    let logger: Logger
    let audit: AuditTrail

    public init(client: any DatabaseClient, logger: Logger, actor: String = "cli") {
        self.client = client
        self.logger = logger
        self.audit = AuditTrail(actor: actor, client: client, logger: logger)
    }

    public func createUser(
        tenant domain: String, username: String, passwordHash: String, roles: Set<UserRole> = []
    ) async throws -> UserRecord {
        let tenantID = try await DirectoryAdministration(client: client, logger: logger).tenantID(domain)
        let username = try Self.validUsername(username)
        let (logger, roleNames) = (logger, roles.map(\.rawValue).sorted())
        let rows = try await audit.record("user.create", tenantID: tenantID, target: username) { connection in
            do {
                return try await connection.query(
                    """
                    INSERT INTO users (tenant_id, username, password_hash, roles)
                    VALUES (\(tenantID), \(username), \(passwordHash), \(roleNames))
                    RETURNING username, enabled, created_at, roles
                    """, logger: logger
                ).collect()
            } catch  where DatabaseErrorMessage.sqlState(error) == "23505" {
                throw AdministrationError(
                    "user \(username) already exists in \(domain.lowercased()) (names ignore case)", kind: .conflict)
            }
        }
        if let row = rows.first {
            let (name, enabled, createdAt, roles) = try row.decode((String, Bool, Date, [String]).self)
            return UserRecord(
                tenant: domain.lowercased(), username: name, enabled: enabled, createdAt: createdAt, roles: roles)
        }
        throw AdministrationError("the user was not created")
    }

    /// The tenant's users by name (ignoring case); a page of at most `limit` after the name `after`.
    public func users(tenant domain: String, after: String? = nil, limit: Int = .max) async throws -> [UserRecord] {
        try await users(tenant: domain, where: "lower(username) > lower(COALESCE(\(after), ''))", limit: limit)
    }

    /// One user, as `users` lists them.
    public func user(tenant domain: String, username: String) async throws -> UserRecord {
        guard let user = try await users(tenant: domain, where: "lower(username) = lower(\(username))", limit: 1).first
        else {
            throw AdministrationError(
                "no user \(username.prefix(80)) in tenant \(domain.lowercased())", kind: .notFound)
        }
        return user
    }

    private func users(tenant domain: String, where condition: PostgresQuery, limit: Int) async throws
        -> [UserRecord]
    {
        let tenantID = try await DirectoryAdministration(client: client, logger: logger).tenantID(domain)
        var query = condition
        query.binds.append(tenantID)
        query.sql = """
            SELECT username, enabled, created_at, roles FROM users
            WHERE tenant_id = $\(query.binds.count) AND \(condition.sql)
            ORDER BY lower(username) LIMIT \(limit)
            """
        let rows = try await client.current.query(query, logger: logger)
        var records: [UserRecord] = []
        for try await (name, enabled, createdAt, roles) in rows.decode((String, Bool, Date, [String]).self) {
            records.append(
                UserRecord(
                    tenant: domain.lowercased(), username: name, enabled: enabled, createdAt: createdAt, roles: roles))
        }
        return records
    }

    public func setUser(tenant domain: String, username: String, enabled: Bool) async throws {
        try await update(
            enabled ? "user.enable" : "user.disable", tenant: domain, username: username, "enabled = \(enabled)")
    }

    /// Replaces the user's roles (audited with the new list).
    public func setRoles(tenant domain: String, username: String, roles: Set<UserRole>) async throws {
        let names = roles.map(\.rawValue).sorted()
        try await update("user.set-roles", tenant: domain, username: username, "roles = \(names)")
    }

    public func setPassword(tenant domain: String, username: String, passwordHash: String) async throws {
        try await update("user.set-password", tenant: domain, username: username, "password_hash = \(passwordHash)")
    }

    private func update(_ operation: String, tenant domain: String, username: String, _ assignment: PostgresQuery)
        async throws
    {
        let tenantID = try await DirectoryAdministration(client: client, logger: logger).tenantID(domain)
        var query = PostgresQuery(unsafeSQL: "UPDATE users SET ")
        query.sql += assignment.sql
        var bindings = assignment.binds
        bindings.append(tenantID)
        bindings.append(username)
        query.sql +=
            " WHERE tenant_id = $\(bindings.count - 1) AND lower(username) = lower($\(bindings.count)) RETURNING user_id"
        query.binds = bindings
        let (logger, statement) = (logger, query)
        try await audit.record(operation, tenantID: tenantID, target: String(username.prefix(200))) { connection in
            if try await !connection.query(statement, logger: logger).collect().isEmpty { return }
            throw AdministrationError(
                "no user \(username.prefix(80)) in tenant \(domain.lowercased())", kind: .notFound)
        }
    }

    /// A password the hasher can take whole: bcrypt reads 72 bytes, and a longer password would be cut silently.
    public static func checkPassword(_ password: String) throws(AdministrationError) {
        guard !password.isEmpty else { throw AdministrationError("the password is empty") }
        guard password.utf8.count <= 72 else { throw AdministrationError("the password must be at most 72 bytes") }
    }

    static func validUsername(_ raw: String) throws(AdministrationError) -> String {
        let username = raw.trimmingCharacters(in: .whitespaces)
        guard !username.isEmpty, username.count <= User.maximumUsernameLength,
            !username.hasControlCharacters
        else {
            throw AdministrationError("a username must be 1 to \(User.maximumUsernameLength) printable characters")
        }
        return username
    }
}

/// A user as the CLI shows it: never the hash.
public struct UserRecord: Sendable, Encodable {
    public let tenant: String
    public let username: String
    public let enabled: Bool
    public let createdAt: Date
    /// `UserRole` names, sorted.
    public let roles: [String]

    enum CodingKeys: String, CodingKey {
        case tenant, username, enabled, roles
        case createdAt = "created_at"
    }
}
