import Dispatch
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes a shutdown end. The service group gives the services `grace` to finish what they hold and then cancels
/// them; should one still not return (a statement a vanished database never answers), this exits the process a
/// moment later, from a Dispatch thread that needs neither the event loops nor the tasks to be free.
///
/// Listed last among the services, it is the first to hear of the shutdown.
struct ShutdownWatchdog: Service {
    let grace: Duration
    let logger: Logger
    /// Time for cancelled services to return after the grace, before the process exits regardless.
    static let margin: Duration = .seconds(2)

    func run() async throws {
        try? await gracefulShutdown()
        guard Task.isShuttingDownGracefully else { return }
        let limit = grace + Self.margin
        let (seconds, attoseconds) = limit.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let logger = logger
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
            logger.warning("the shutdown took longer than its grace; exiting", metadata: ["grace": "\(limit)"])
            exit(0)
        }
    }
}
