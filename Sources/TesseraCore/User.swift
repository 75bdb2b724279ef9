/// An end user of a tenant, who signs in with the password grant.
public struct User: Sendable, Hashable {
    public typealias ID = Int64
    public let tenantID: Tenant.ID
    public let id: ID
    /// As created; lookups compare it case-insensitively.
    public let username: String
    /// A slow, salted hash (bcrypt), never the password.
    public let passwordHash: String
    public let enabled: Bool
    /// What the user may do beyond signing in; loaded where it matters (the console), empty elsewhere.
    public let roles: Set<UserRole>

    public init(
        tenantID: Tenant.ID, id: ID, username: String, passwordHash: String, enabled: Bool, roles: Set<UserRole> = []
    ) {
        self.tenantID = tenantID
        self.id = id
        self.username = username
        self.passwordHash = passwordHash
        self.enabled = enabled
        self.roles = roles
    }

    /// Longest username accepted anywhere.
    public static let maximumUsernameLength = 255
}

/// A role a user holds in their tenant.
public enum UserRole: String, Sendable, Hashable, CaseIterable {
    /// Administers the tenant in the console, as a client with the scope `tessera:tenant-admin` does through the admin
    /// API.
    case tenantAdmin = "tenant-admin"

    /// The roles these names name; nil when one is unknown.
    public static func parse(_ names: [String]) -> Set<UserRole>? {
        var roles: Set<UserRole> = []
        for name in names {
            guard let role = UserRole(rawValue: name) else { return nil }
            roles.insert(role)
        }
        return roles
    }
}

/// Where the password grant finds a tenant's users.
public protocol UserDirectory: Sendable {
    /// The user of this tenant whose username equals `username` ignoring case; nil when there is none.
    func user(tenantID: Tenant.ID, username: String) async throws -> User?
    /// Replaces a user's password hash (after a successful login with a hash of an old cost).
    func updatePasswordHash(tenantID: Tenant.ID, userID: User.ID, hash: String) async throws
}

/// Hashes and checks human passwords with a slow function, off the request path's threads.
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, against hash: String) async throws -> PasswordVerification
    /// A valid hash of no one's password, verified when the user does not exist so that the answer takes
    /// as long as for a wrong password.
    var dummyHash: String { get }
}

/// The outcome of checking a password.
public enum PasswordVerification: Sendable, Equatable {
    case mismatch
    case match
    /// A match against a hash made with an older cost: store a new hash.
    case matchNeedsRehash
}
