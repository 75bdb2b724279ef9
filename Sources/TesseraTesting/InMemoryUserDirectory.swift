import Synchronization
import TesseraCore

/// A tenant's users held in memory, for tests of the password grant.
public final class InMemoryUserDirectory: UserDirectory {
    private let users = Mutex([User]())

    public init() {}

    public func put(_ user: User) {
        users.withLock { users in
            users.removeAll { $0.tenantID == user.tenantID && $0.id == user.id }
            users.append(user)
        }
    }

    /// The user with `id`, of any tenant.
    public func user(id: User.ID) -> User? { users.withLock { $0.first { $0.id == id } } }

    public func user(tenantID: Tenant.ID, username: String) async throws -> User? {
        users.withLock { $0.first { $0.tenantID == tenantID && $0.username.lowercased() == username.lowercased() } }
    }

    public func updatePasswordHash(tenantID: Tenant.ID, userID: User.ID, hash: String) async throws {
        users.withLock { users in
            guard let index = users.firstIndex(where: { $0.tenantID == tenantID && $0.id == userID }) else { return }
            let user = users[index]
            users[index] = User(
                tenantID: user.tenantID, id: user.id, username: user.username, passwordHash: hash, enabled: user.enabled
            )
        }
    }
}
