/// Whom a token speaks for: the application itself (client credentials, RFC 6749 §4.4) or one of the tenant's users.
/// The kinds never compare equal, so a user whose username equals a consumer key is never taken for the application.
public enum TokenSubject: Sendable, Hashable {
    case client(consumerKey: String)
    case user(username: String)

    /// The subject as a token carries it (`sub` in introspection): the consumer key or the username.
    public var name: String {
        switch self {
        case .client(let consumerKey): consumerKey
        case .user(let username): username
        }
    }

    /// The kind as the reuse key stores and seals it: `client` or `user`.
    public var kind: String {
        switch self {
        case .client: "client"
        case .user: "user"
        }
    }
}
