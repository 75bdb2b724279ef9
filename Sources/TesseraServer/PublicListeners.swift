import Logging
import ServiceLifecycle

/// The public listeners (plain HTTP, HTTPS), started together once the server may serve, and stopped first on
/// shutdown: they stop accepting, finish the requests in flight, and only then do the services behind them (token
/// batches, the pool) stop.
struct PublicListeners: Service {
    let listeners: [any Service]
    let logger: Logger
    /// Runs before any listener binds; an error stops the server before it ever answers.
    let beforeStart: @Sendable () async throws -> Void

    func run() async throws {
        try await beforeStart()
        guard !Task.isShuttingDownGracefully else { return }
        // Nested, the group follows the outer group's graceful shutdown.
        try await ServiceGroup(configuration: .init(services: listeners, logger: logger)).run()
    }
}
