import Logging
import PostgresNIO
import ServiceLifecycle
import TesseraCore

/// Keeps the caches honest (`CachedClientDirectory`, `CachedSigningKeys`): LISTENs on `tessera_directory`, where
/// triggers on `tenants`, `applications` and `signing_keys` announce every change, and drops the changed tenant from
/// each cache.
///
/// While the listening connection is down the cache is suspended (every lookup reads the database), so a
/// change made meanwhile is never served stale; the feed reconnects by itself.
public struct DirectoryChangeFeed: Service {
    public static let channel = "tessera_directory"

    private let client: any DatabaseClient
    private let caches: [any TenantCache]
    private let logger: Logger

    public init(client: any DatabaseClient, caches: [any TenantCache], logger: Logger) {
        self.client = client
        self.caches = caches
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // While the database refuses connections the lease waits for the pool's retries, which only
                // cancellation ends: on graceful shutdown, cancel it, or the server would never stop.
                try await cancelWhenGracefulShutdown {
                    try await client.current.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            for cache in caches { cache.resume() }
                            logger.debug("directory cache live")
                            for try await notification in notifications {
                                if let tenantID = Tenant.ID(notification.payload) {
                                    for cache in caches { cache.invalidate(tenantID: tenantID) }
                                } else {
                                    for cache in caches { cache.resume() }
                                }
                            }
                        }
                    }
                }
            } catch {
                if !Task.isCancelled && !Task.isShuttingDownGracefully {
                    logger.warning(
                        "directory change feed lost; reading through to the database",
                        metadata: ["error": "\(DatabaseErrorMessage.reason(error))"])
                }
            }
            for cache in caches { cache.suspend() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
