import Hummingbird
import Logging

/// The request context of Tessera's router: Hummingbird's, plus the notes routes leave for the access log and
/// the metrics.
public struct TesseraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let notes = RequestNotes()
    /// The peer's IP address (a proxy's, behind one), for the client throttle.
    let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }
}
