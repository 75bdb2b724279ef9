import Logging
import ServiceLifecycle

/// Services that must not start before a check passes: `serve` gates the listeners and the purge schedule on the
/// schema check, so that no port opens and no statement runs against a database this build does not know.
///
/// They run in a nested group, which follows the outer group's graceful shutdown: in reverse order, so that the
/// listeners (last) stop accepting and finish the requests in flight before anything behind them stops.
struct GatedServices: Service {
    let services: [any Service]
    let logger: Logger
    /// Throws to stop the server before it ever answers.
    let gate: @Sendable () async throws -> Void

    func run() async throws {
        try await gate()
        guard !Task.isShuttingDownGracefully else { return }
        try await ServiceGroup(configuration: .init(services: services, logger: logger)).run()
    }
}
