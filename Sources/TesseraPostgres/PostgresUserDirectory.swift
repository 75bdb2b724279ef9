import PostgresNIO
import TesseraCore

/// A tenant's users, read by the password grant with a prepared statement on the case-insensitive index.
public struct PostgresUserDirectory: UserDirectory {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func user(tenantID: Tenant.ID, username: String) async throws -> User? {
        let statement = UserByName(tenantID: tenantID, username: username)
        return try await PostgresAvailability.run { [client] in
            for try await user in try await client.current.execute(statement) { return user }
            return nil
        }
    }

    public func updatePasswordHash(tenantID: Tenant.ID, userID: User.ID, hash: String) async throws {
        try await PostgresAvailability.run { [client] in
            _ = try await client.committed(
                "UPDATE users SET password_hash = \(hash) WHERE tenant_id = \(tenantID) AND user_id = \(userID)")
        }
    }
}

struct UserByName: PostgresPreparedStatement {
    static let name = "tessera.UserByName"
    static let sql = """
        SELECT tenant_id, user_id, username, password_hash, enabled FROM users
        WHERE tenant_id = $1 AND lower(username) = lower($2)
        """
    typealias Row = User
    let tenantID: Tenant.ID
    let username: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(tenantID)
        bindings.append(username)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> User {
        let (tenantID, id, username, hash, enabled) = try row.decode((Int64, Int64, String, String, Bool).self)
        return User(tenantID: tenantID, id: id, username: username, passwordHash: hash, enabled: enabled)
    }
}
