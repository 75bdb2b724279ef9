/// The sign-in form of every page that needs a signed-in tenant user (the authorization endpoint, the user's
/// consents page, the console): username and password, the browser's CSRF token, and the fields the page carries.
/// What it posts is checked by `UserSignIn`, so the throttle and the one answer for every failure are the same
/// wherever a user signs in.
public struct SignInForm: Sendable {
    /// The form's `action` field: what the page does when it is posted.
    public static let action = "sign_in"

    public let cookie: BrowserCookie
    /// Hidden fields the page needs back (an authorization request's parameters).
    public let carried: HTML
    public let username: String
    public let error: String?

    public init(cookie: BrowserCookie, carried: HTML = "", username: String = "", error: String? = nil) {
        self.cookie = cookie
        self.carried = carried
        self.username = username
        self.error = error
    }

    public var html: HTML {
        let alert: HTML = error.map { "<p class=\"error\" role=\"alert\" id=\"sign-in-error\">\($0)</p>\n" } ?? ""
        let described: HTML = error == nil ? "" : " aria-describedby=\"sign-in-error\""
        return """
            \(alert)<form method="post">
            <input type="hidden" name="csrf" value="\(cookie.csrfToken)">
            <input type="hidden" name="action" value="\(Self.action)">
            \(carried)
            <label for="username">Username</label>
            <input id="username" name="username" type="text" autocomplete="username" required autofocus value="\(username)"\(described)>
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            """
    }

    /// The messages a failed sign-in shows.
    public static let refused = "The username or password is incorrect."
    public static func throttled(retryAfter seconds: Int) -> String {
        "Too many failed sign-ins. Try again in \(seconds) seconds."
    }
}
