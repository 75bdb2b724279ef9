import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The pool of the primary among the hosts of a `DATABASE_URL` list, following it across failovers: libpq's
/// `target_session_attrs=read-write` for a pool that lives for days.
///
/// Once a second it asks its host whether it still takes writes (`pg_is_in_recovery()` or
/// `transaction_read_only`, with a 1 s deadline). When it does not, or does not answer, the hosts are probed in
/// the URL's order (`DatabaseProbe.locate`), every 250 ms until one takes writes; if that is another host, a pool
/// for it replaces the old one, which is shut down: statements in flight there fail (503) rather than wait, and
/// the next ones, the batch sessions' leases and the change feed's reconnection included, go to the new primary.
///
/// With one host it is that host's pool and nothing more: PostgresNIO's pool already rides through a restart.
public final class FailoverClient: DatabaseClient, Service {
    private struct Primary {
        var endpoint: DatabaseURL.Endpoint
        var client: PostgresClient
        var running: Task<Void, Never>?
    }

    private let url: DatabaseURL
    private let makeClient: @Sendable (DatabaseURL) -> PostgresClient
    private let logger: Logger
    private let primary: Mutex<Primary>
    static let checkInterval: Duration = .seconds(1)
    static let searchInterval: Duration = .milliseconds(250)

    /// - Parameter makeClient: the pool for one host of `url` (`url.only(host)`), with the server's pool options.
    public init(url: DatabaseURL, logger: Logger, makeClient: @escaping @Sendable (DatabaseURL) -> PostgresClient) {
        self.url = url
        self.logger = logger
        self.makeClient = makeClient
        // The first host until the first check: a standby there only makes writes fail (503) for that moment.
        let first = url.endpoints[0]
        self.primary = Mutex(Primary(endpoint: first, client: makeClient(url.only(first))))
    }

    public var current: PostgresClient { primary.withLock { $0.client } }

    /// The host whose pool `current` is.
    public var currentEndpoint: DatabaseURL.Endpoint { primary.withLock { $0.endpoint } }

    public func run() async {
        guard url.endpoints.count > 1 else { return await current.run() }
        let first = current
        primary.withLock { $0.running = Task { await first.run() } }
        await cancelWhenGracefulShutdown { await self.follow() }
        let last = primary.withLock { $0.running }
        last?.cancel()
        await last?.value
    }

    /// Checks the primary and moves to another host when it has changed, until cancelled.
    private func follow() async {
        var lost = false
        while !Task.isCancelled {
            if await takesWrites(current) {
                if lost {
                    logger.notice("the database primary answers again", metadata: ["host": "\(currentEndpoint)"])
                }
                lost = false
            } else {
                if !lost {
                    logger.warning(
                        "the database primary does not take writes; looking for the new one",
                        metadata: ["host": "\(currentEndpoint)"])
                }
                lost = true
                if let found = await locate(), found != currentEndpoint {
                    move(to: found)
                    continue
                }
            }
            try? await Task.sleep(for: lost ? Self.searchInterval : Self.checkInterval)
        }
    }

    private func takesWrites(_ client: PostgresClient) async -> Bool {
        do {
            return try await PostgresAvailability.run(deadline: .seconds(1)) {
                try await !ReadOnlyCheck.isReadOnly(client.query(ReadOnlyCheck.query))
            }
        } catch {
            return false
        }
    }

    /// Throws, with the database's own reason, when no host of the URL will do now: with a list, a token server
    /// cannot start on standbys alone. For start-up's one line; the pool itself would only retry quietly.
    public func probe(logger: Logger) async throws {
        _ = try await DatabaseProbe.locate(searched, logger: logger)
    }

    /// The URL hosts are probed with: with a list, only one that takes writes will do.
    private var searched: DatabaseURL { url.endpoints.count > 1 ? url.readWrite : url }

    /// The first host of the list that takes writes, if any does now.
    private func locate() async -> DatabaseURL.Endpoint? {
        var quiet = logger
        quiet.logLevel = .critical
        return try? await DatabaseProbe.locate(searched, logger: quiet).endpoints.first
    }

    private func move(to endpoint: DatabaseURL.Endpoint) {
        let client = makeClient(url.only(endpoint))
        let running = Task { await client.run() }
        let old = primary.withLock { primary in
            let old = primary
            primary = Primary(endpoint: endpoint, client: client, running: running)
            return old
        }
        old.running?.cancel()
        logger.notice(
            "following the new database primary",
            metadata: ["host": "\(endpoint)", "previous": "\(old.endpoint)"])
    }
}
