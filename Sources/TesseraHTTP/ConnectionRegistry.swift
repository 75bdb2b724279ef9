import NIOCore
import Synchronization

/// The open connections of one listener, for `ConnectionLimits.maximumConnections`: at the limit, a new connection
/// takes the place of the one idle the longest; when none is idle it is refused. So idle sockets, however many one
/// client opens, never keep another client out, and the server never runs out of descriptors for those it accepted.
public final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        /// Since when it has had no request in progress; nil while one is.
        var idleSince: ContinuousClock.Instant?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
    }

    public let maximum: Int
    private let state = Mutex(State())

    public init(maximum: Int) {
        self.maximum = max(1, maximum)
    }

    /// Registers a new connection; false when it must be closed because the listener is full of busy connections.
    /// The idle connection it displaces, if any, is closed here.
    func open(_ id: ObjectIdentifier, channel: any Channel, at now: ContinuousClock.Instant) -> Bool {
        let (accepted, displaced) = state.withLock { state -> (Bool, (any Channel)?) in
            var displaced: (any Channel)?
            if state.entries.count >= maximum {
                guard
                    let oldest = state.entries.lazy.filter({ $0.value.idleSince != nil })
                        .min(by: { $0.value.idleSince! < $1.value.idleSince! })
                else { return (false, nil) }
                state.entries[oldest.key] = nil
                displaced = oldest.value.channel
            }
            state.entries[id] = Entry(channel: channel, idleSince: now)
            return (true, displaced)
        }
        displaced?.close(promise: nil)
        return accepted
    }

    func setIdle(_ id: ObjectIdentifier, since: ContinuousClock.Instant?) {
        state.withLock { $0.entries[id]?.idleSince = since }
    }

    func close(_ id: ObjectIdentifier) {
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
    }
}
