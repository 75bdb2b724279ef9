import Logging

/// A tenant user signing in with username and password: the password grant and the sign-in page share it, so that
/// there is one throttle and one constant-time answer.
///
/// Unknown user, wrong password and disabled user fail alike, in about the same time (a dummy hash is checked when
/// there is no user). Repeated failures for one username are throttled.
public struct UserSignIn: Sendable {
    private let users: any UserDirectory
    private let passwords: any PasswordHasher
    private let throttle: LoginThrottle

    /// The longest password read; bcrypt itself reads 72 bytes.
    public static let maximumPasswordLength = 1024

    public init(users: any UserDirectory, passwords: any PasswordHasher, throttle: LoginThrottle) {
        self.users = users
        self.passwords = passwords
        self.throttle = throttle
    }

    /// Why a sign-in failed.
    public enum Refusal: Error, Sendable, Equatable {
        /// Wrong username or password, or a disabled user: one answer for all.
        case refused
        /// Too many failures for this username: try again after so many seconds.
        case throttled(retryAfter: Int)
    }

    /// Whether `username` and `password` could ever sign in: a username with a control character (a NUL would make
    /// the query fail) or a password too long is refused before any lookup.
    public static func isPlausible(username: String, password: String) -> Bool {
        username.count <= User.maximumUsernameLength && !username.hasControlCharacters
            && password.utf8.count <= maximumPasswordLength
    }

    /// The user these credentials sign in, enabled. A hash of an older cost is replaced on success.
    public func signIn(tenantID: Tenant.ID, username: String, password: String, logger: Logger)
        async throws -> User
    {
        guard Self.isPlausible(username: username, password: password) else { throw Refusal.refused }
        let key = LoginThrottleKey(tenantID: tenantID, username: username)
        if let wait = throttle.retryAfter(key) { throw Refusal.throttled(retryAfter: wait) }
        // RFC 6749 §4.3.2: the server MUST protect the endpoint against brute force attacks.
        let user = try await users.user(tenantID: tenantID, username: username)
        let verification = try await passwords.verify(password, against: user?.passwordHash ?? passwords.dummyHash)
        guard let user, user.enabled, verification != .mismatch else {
            throttle.recordFailure(key)
            throw Refusal.refused
        }
        throttle.recordSuccess(key)
        if verification == .matchNeedsRehash {
            // After the answer, not before it: a hash at the server's cost runs on the hashing threads, which get only
            // idle CPU, and a sign-in that waited for it took a minute on a busy machine. A server stopped meanwhile
            // leaves the old hash, replaced at the next sign-in.
            Task { [self] in await upgradeHash(of: user, password: password, logger: logger) }
        }
        return user
    }

    /// Failing to replace an old hash is not the user's problem.
    private func upgradeHash(of user: User, password: String, logger: Logger) async {
        do {
            let hash = try await passwords.hash(password)
            try await users.updatePasswordHash(tenantID: user.tenantID, userID: user.id, hash: hash)
        } catch {
            logger.warning("password hash upgrade failed", metadata: ["error": "\(error)"])
        }
    }
}
