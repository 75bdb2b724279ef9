import ServiceLifecycle

/// The loop of the services that work in rounds (the database clock, the purge, the signing key schedule).
enum Periodic {
    /// Runs `round` now and then every `interval` until shutdown. A round that throws goes to `failed`, and the next
    /// round comes at its time: a database that is away for a while is met again later, not given up on.
    static func run(
        every interval: Duration, _ round: () async throws -> Void, failed: (any Error) -> Void
    ) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await round()
            } catch {
                failed(error)
            }
            // Sleeps until the next round, or returns at once on shutdown.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
