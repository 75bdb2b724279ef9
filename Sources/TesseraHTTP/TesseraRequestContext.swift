import Hummingbird
import Logging

/// The request context of Tessera's router: Hummingbird's, plus the notes routes leave for the access log and
/// the metrics.
public struct TesseraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let notes = RequestNotes()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
