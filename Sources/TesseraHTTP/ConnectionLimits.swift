/// How long a client may take over each part of an HTTP/1 exchange, and how many connections may be open at once:
/// what keeps one client from holding the server's doors shut (idle sockets, a head sent a byte at a time, a body
/// that trickles). `serve` takes each from an option (`--idle-timeout`, ...); the options table in docs/operations.md lists them.
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request in progress is closed after this long without a byte from the client.
    /// Longer than a load balancer's own idle timeout (60 s on the common ones), so that the balancer, not this
    /// server, closes its idle connections, and never sends a request on a socket that is being closed.
    public var idleTimeout: Duration = .seconds(75)
    /// From the first byte of a request to the end of its head (method, path, headers): against slowloris.
    public var headerTimeout: Duration = .seconds(10)
    /// The longest pause between two reads of a request's body.
    public var bodyTimeout: Duration = .seconds(10)
    /// Bytes per second a body must average: the whole body must arrive within `bodyTimeout` plus its length at
    /// this rate, so that a body trickled just fast enough to beat `bodyTimeout` is still cut off.
    public var minimumBodyRate: Int = 4096
    /// Connections open at once on one listener. At the limit, the longest-idle connection is closed to make room
    /// for a new one; when none is idle, the new one is closed at once. Either way accepted requests keep their
    /// descriptors.
    public var maximumConnections: Int = 4096
    /// The largest request body; a `Content-Length` above it is refused (413) before any of the body is read.
    public var maximumBodySize: Int = 64 * 1024

    public init() {}

    /// How often a connection looks at its deadlines: each limit is enforced within this much of its time.
    static let tick: Duration = .seconds(1)
}
