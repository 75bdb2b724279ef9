import Hummingbird
import Logging
import NIOCore

/// The request context of Tessera's router: Hummingbird's, plus the notes routes leave for the access log and
/// the metrics.
public struct TesseraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let notes = RequestNotes()
    /// The peer (a proxy, behind one), for the client throttle; text only where the token routes need it.
    let peer: SocketAddress?

    /// For routes outside this module: the access log line and the metrics name the request's endpoint as `admin`
    /// or `register`, and its tenant, rather than "other".
    public func note(adminRequest tenant: String?) {
        notes.update {
            $0.endpoint = .admin; $0.tenant = tenant
        }
    }
    public func note(console tenant: String?) {
        notes.update {
            $0.endpoint = .console; $0.tenant = tenant
        }
    }
    public func note(registration tenant: String?) {
        notes.update {
            $0.endpoint = .register; $0.tenant = tenant
        }
    }

    /// The client's address, through the proxies trusted to name it in X-Forwarded-For: the key of throttles.
    public func clientAddress(_ request: Request, behind proxies: TrustedProxies) -> String? {
        proxies.clientAddress(peer: peer?.ipAddress, forwardedFor: request.headers[values: TokenRoutes.forwardedFor])
    }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peer = source.channel.remoteAddress
    }
}
