import PostgresNIO

/// Where statements go: the pool of one server (`PostgresClient` itself), or the pool of whichever host is the
/// primary now (`FailoverClient`). Stores ask for `current` at each statement or lease, so that after a failover
/// the next one goes to the new primary while those in flight on the old one fail (503) and are retried by
/// their clients.
public protocol DatabaseClient: Sendable {
    /// The pool for the next statement or lease.
    var current: PostgresClient { get }
}

extension PostgresClient: DatabaseClient {
    public var current: PostgresClient { self }
}
