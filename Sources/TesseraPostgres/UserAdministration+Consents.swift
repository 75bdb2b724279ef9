import Foundation
import PostgresNIO
import TesseraCore

/// A user's consent to an application, as `tessera user consents` and the admin API list it.
public struct ConsentRecord: Sendable, Encodable, Equatable {
    public let clientID: String
    public let clientName: String
    public let scopes: [String]
    public let resources: [String]
    public let grantedAt: Date

    init(_ granted: GrantedConsent) {
        clientID = granted.clientID
        clientName = granted.clientName
        scopes = granted.consent.scopes.tokens
        resources = granted.consent.resources
        grantedAt = granted.consent.grantedAt
    }

    enum CodingKeys: String, CodingKey {
        case scopes, resources
        case clientID = "client_id"
        case clientName = "client_name"
        case grantedAt = "granted_at"
    }
}

// The consents users gave applications at the authorization endpoint: listed and revoked by administrators, as the
// users themselves do on their consents page.
extension UserAdministration {
    public func consents(tenant domain: String, username: String) async throws -> [ConsentRecord] {
        let (tenantID, userID) = try await userID(tenant: domain, username: username)
        let rows = try await client.current.query(
            PostgresConsents.list(tenantID: tenantID, userID: userID), logger: logger)
        var records: [ConsentRecord] = []
        for try await row in rows { records.append(ConsentRecord(try PostgresConsents.granted(row))) }
        return records
    }

    /// Withdraws the user's consent to the application `consumerKey`, with the refresh tokens it holds for the user.
    public func revokeConsent(tenant domain: String, username: String, consumerKey: String) async throws {
        let (tenantID, userID) = try await userID(tenant: domain, username: username)
        let logger = logger
        let target = "\(username.prefix(200)) \(consumerKey.prefix(80))"
        try await audit.record("user.revoke-consent", tenantID: tenantID, target: target) { connection in
            let application = try await connection.query(
                """
                SELECT application_id FROM applications
                WHERE tenant_id = \(tenantID) AND consumer_key = \(consumerKey)
                """, logger: logger
            ).collect()
            guard let applicationID = try application.first?.decode(Int64.self) else {
                throw AdministrationError(
                    "no application \(consumerKey.prefix(80)) in \(domain.lowercased())", kind: .notFound)
            }
            let revoked = try await connection.query(
                PostgresConsents.revoke(tenantID: tenantID, userID: userID, applicationID: applicationID),
                logger: logger
            ).collect()
            guard try revoked.first?.decode(Int64.self) ?? 0 > 0 else {
                throw AdministrationError(
                    "user \(username.prefix(80)) has not consented to \(consumerKey.prefix(80))", kind: .notFound)
            }
        }
    }

    private func userID(tenant domain: String, username: String) async throws -> (Tenant.ID, User.ID) {
        let tenantID = try await DirectoryAdministration(client: client, logger: logger).tenantID(domain)
        let rows = try await client.current.query(
            "SELECT user_id FROM users WHERE tenant_id = \(tenantID) AND lower(username) = lower(\(username))",
            logger: logger
        ).collect()
        guard let userID = try rows.first?.decode(Int64.self) else {
            throw AdministrationError(
                "no user \(username.prefix(80)) in tenant \(domain.lowercased())", kind: .notFound)
        }
        return (tenantID, userID)
    }
}
