import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 channel with a `ConnectionGuard` in its pipeline: the guard goes in front of the HTTP/1 to
/// HTTP types codec, which Hummingbird's own extension point (handlers after the codec) cannot reach.
public struct GuardedHTTP1Channel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value

    private let base: HTTP1Channel
    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry

    init(base: HTTP1Channel, limits: ConnectionLimits, registry: ConnectionRegistry) {
        self.base = base
        self.limits = limits
        self.registry = registry
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let guardHandler = ConnectionGuard(limits: limits, registry: registry)
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(guardHandler, position: .before(codec))
            try pipeline.addHandler(ConnectionGuard.ByteObserver(guardHandler), position: .first)
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 held to `limits`; `registry` counts the listener's connections. Wrap it in `.tls(...)` for HTTPS.
    public static func guardedHTTP1(limits: ConnectionLimits, registry: ConnectionRegistry) -> HTTPServerBuilder {
        .init { responder in
            GuardedHTTP1Channel(
                base: HTTP1Channel(responder: responder), limits: limits, registry: registry)
        }
    }
}
