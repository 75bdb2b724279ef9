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

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peer = source.channel.remoteAddress
    }
}
