import Foundation
import Logging
import TesseraCore

/// Who is signed in on a browser, signing in and out: the session side of every page that needs a tenant user.
/// A sign-in starts a session under a new cookie value (a value planted before is worth nothing after).
public struct BrowserSignIn: Sendable {
    private let signIn: UserSignIn
    private let sessions: any BrowserSessionStore
    private let now: @Sendable () -> Date
    /// The cookie a sign-in sets.
    private let use: BrowserCookie.Use

    public init(
        signIn: UserSignIn, sessions: any BrowserSessionStore, now: @escaping @Sendable () -> Date,
        use: BrowserCookie.Use = .signIn
    ) {
        self.signIn = signIn
        self.sessions = sessions
        self.now = now
        self.use = use
    }

    /// What a sign-in form's post came to.
    public enum Outcome: Sendable {
        case signedIn(User, BrowserCookie)
        /// The form again, with this message and status.
        case refused(message: String, status: Int)
    }

    /// The user signed in on the browser with `cookie`; nil when none is (or the session expired or was ended).
    public func user(_ cookie: BrowserCookie?, tenantID: Tenant.ID) async throws -> User? {
        guard let cookie else { return nil }
        return try await sessions.user(session: cookie.sessionHash, tenantID: tenantID, at: now())
    }

    /// Checks the form's username and password and starts a session.
    public func signIn(_ form: TokenRequestParameters, tenantID: Tenant.ID, logger: Logger) async throws -> Outcome {
        let user: User
        do {
            user = try await signIn.signIn(
                tenantID: tenantID, username: form["username"] ?? "", password: form["password"] ?? "",
                logger: logger)
        } catch UserSignIn.Refusal.throttled(let wait) {
            return .refused(message: SignInForm.throttled(retryAfter: wait), status: 429)
        } catch is UserSignIn.Refusal {
            return .refused(message: SignInForm.refused, status: 401)
        }
        let session = BrowserCookie.generate(use: use)
        try await sessions.start(
            session.sessionHash, tenantID: tenantID, userID: user.id,
            expiresAt: now().addingTimeInterval(BrowserCookie.sessionLifetime))
        return .signedIn(user, session)
    }

    /// Ends the browser's session.
    public func signOut(_ cookie: BrowserCookie, tenantID: Tenant.ID) async throws {
        try await sessions.end(cookie.sessionHash, tenantID: tenantID)
    }
}
