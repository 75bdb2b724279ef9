/// Whether this instance can serve tokens now: what `GET /health/ready` tells a load balancer.
public enum Readiness: Sendable, Equatable {
    case ready
    /// Not ready, with a short reason that anyone may read: no host name, address or error text.
    case unavailable(reason: String)
}
