/// What the token endpoint answered each application, for the console's daily charts: tokens issued, and requests
/// refused to an application that was identified (a wrong secret, a grant or scope it may not have). Requests that
/// name no known application, and failures of the server itself, count nowhere.
///
/// Called on the request path once per answer: an implementation only adds to counters in memory.
public protocol TokenActivity: Sendable {
    func issued(to application: ClientApplication)
    func refused(_ application: ClientApplication)
}

extension OAuthError {
    /// Whether this answer refuses the client's request, as opposed to the server failing it (500, 503): only the
    /// former counts against an application.
    var refusesClient: Bool { status < 500 }
}
