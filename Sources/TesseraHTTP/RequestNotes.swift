import Synchronization

/// What a route learns about its request that the access log and the metrics report: the endpoint, the tenant,
/// the grant type and the OAuth error. Routes write the notes; the middleware around them reads them afterwards.
///
/// A reference, as Hummingbird's own `EndpointPath` is: every middleware and route gets its own copy of the
/// context, so a value a route wrote into its copy would never reach the middleware that called it.
final class RequestNotes: Sendable {
    /// The endpoints the metrics count separately; anything else is "other".
    enum Endpoint: String, Sendable {
        case token, introspect, revoke, discovery, jwks, health
        /// The admin API (`/admin/v1/`) and dynamic client registration (`/t/<tenant>/register`).
        case admin, register
        /// A grant's own endpoint (`/authorize`): the installed ones only, so the label's values are few.
        case grantEndpoint = "grant_endpoint"
        /// The console's pages (`/console/`, `/t/<tenant>/console/`).
        case console
    }

    struct Values: Sendable {
        var endpoint: Endpoint?
        var tenant: String?
        /// An installed grant type, "other" for any other value, nil when the request named none.
        var grantType: String?
        /// The OAuth `error` code of the response, if it was an error.
        var error: String?
    }

    private let storage = Mutex(Values())

    var values: Values { storage.withLock { $0 } }

    func update(_ change: (inout Values) -> Void) {
        storage.withLock { change(&$0) }
    }
}
