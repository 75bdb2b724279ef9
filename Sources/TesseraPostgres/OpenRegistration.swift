import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// A tenant's open registration (RFC 7591 §3 without an initial access token): anyone may register a client, with
/// at most these scopes, and at most `perHour` clients an hour across every server. Closed unless an administrator
/// opens it: a client that registers itself for the client credentials grant gets tokens with no user behind them,
/// so the tenant names what such tokens may be for.
public struct OpenRegistration: Sendable, Equatable, Encodable {
    public let scopes: ScopeSet
    public let perHour: Int

    public static let defaultPerHour = 20
    public static let maximumPerHour = 10_000

    public init(scopes: String, perHour: Int = defaultPerHour) throws(AdministrationError) {
        guard let parsed = try? ScopeSet(parsing: scopes), !parsed.isEmpty, parsed.tokens.count <= 100 else {
            throw AdministrationError(
                "open registration needs 1 to 100 scopes: space-separated tokens of printable ASCII without quotes")
        }
        if let reserved = parsed.tokens.first(where: { $0.hasPrefix(Self.reservedScopePrefix) }) {
            throw AdministrationError("\(reserved) cannot be open to registration: the admin API's scopes are given")
        }
        guard (1...Self.maximumPerHour).contains(perHour) else {
            throw AdministrationError("registrations per hour must be 1 to \(Self.maximumPerHour)")
        }
        self.scopes = parsed
        self.perHour = perHour
    }

    /// The namespace of the admin API's scopes (`tessera:admin`, `tessera:tenant-admin`): never registered by a
    /// client itself.
    public static let reservedScopePrefix = "tessera:"

    enum CodingKeys: String, CodingKey {
        case scopes
        case perHour = "per_hour"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scopes.description, forKey: .scopes)
        try container.encode(perHour, forKey: .perHour)
    }
}

extension DirectoryAdministration {
    /// The tenant's open registration; nil while it is closed.
    public func openRegistration(tenant rawDomain: String) async throws -> OpenRegistration? {
        let tenantID = try await tenantID(rawDomain)
        return try await openPolicy(where: "tenant_id = \(tenantID)")
    }

    /// Opens the tenant's registration with `policy`, or closes it with nil. Clients registered already stay.
    public func setOpenRegistration(tenant rawDomain: String, _ policy: OpenRegistration?) async throws {
        let tenantID = try await tenantID(rawDomain)
        let logger = logger
        _ = try await audit.record(
            policy == nil ? "tenant.close-registration" : "tenant.open-registration", tenantID: tenantID,
            target: policy.map { "scopes \($0.scopes), \($0.perHour) an hour" } ?? "registration"
        ) { connection in
            try await connection.query(
                """
                UPDATE tenants SET open_registration_scopes = \(policy?.scopes.tokens),
                    open_registrations_per_hour = \(policy?.perHour ?? OpenRegistration.defaultPerHour)
                WHERE tenant_id = \(tenantID)
                """, logger: logger)
        }
    }

    /// The open registration of an enabled tenant, read before a registration's body is; a closed, disabled or
    /// unknown tenant is `RegistrationRefusal.missingToken`: without an initial access token there is nothing to
    /// register with.
    public func checkOpenRegistration(tenant rawDomain: String) async throws -> OpenRegistration {
        guard let domain = Tenant.normalizedDomain(rawDomain),
            let policy = try await openPolicy(where: "domain = \(domain) AND enabled")
        else { throw RegistrationRefusal.missingToken }
        return policy
    }

    /// The open registration of the tenant `condition` selects; nil while it is closed.
    private func openPolicy(where condition: PostgresQuery) async throws -> OpenRegistration? {
        var query = condition
        query.sql = """
            SELECT open_registration_scopes, open_registrations_per_hour FROM tenants
            WHERE \(condition.sql) AND open_registration_scopes IS NOT NULL
            """
        let rows = try await client.current.query(query, logger: logger)
        for try await (scopes, perHour) in rows.decode(([String], Int).self) {
            return try OpenRegistration(scopes: scopes.joined(separator: " "), perHour: perHour)
        }
        return nil
    }

    /// In an open registration's transaction, before its insert: the tenant's row locked, so that registrations
    /// at once on every server count one after another; the policy read again (it may have closed since the check);
    /// the scopes asked for within it; and the hour's count below its bound.
    static func admitOpenRegistration(
        _ connection: PostgresConnection, tenantID: Tenant.ID, scopes: ScopeSet, logger: Logger
    ) async throws {
        let rows = try await connection.query(
            """
            SELECT open_registration_scopes, open_registrations_per_hour,
                (SELECT count(*) FROM applications
                 WHERE tenant_id = \(tenantID) AND registered_openly AND created_at > now() - interval '1 hour')
            FROM tenants WHERE tenant_id = \(tenantID) AND enabled AND open_registration_scopes IS NOT NULL
            FOR UPDATE
            """, logger: logger
        ).collect()
        guard let row = rows.first else { throw RegistrationRefusal.missingToken }
        let (open, perHour, count) = try row.decode(([String], Int, Int64).self)
        let outside = scopes.tokens.filter { !open.contains($0) }
        guard outside.isEmpty else {
            throw RegistrationRefusal.scopeNotOpen(outside.joined(separator: " "))
        }
        guard count < perHour else { throw RegistrationRefusal.tooManyRegistrations }
    }
}
