import Foundation
import Logging
import ServiceLifecycle

/// Runs `TokenPartitions.purge` at start and then every `interval` until shutdown, so a server keeps the token
/// tables to their live tokens and always has the coming days' partitions ready. Every instance may run it:
/// a partition another instance is dropping at the same moment is only logged.
public struct PurgeSchedule: Service {
    private let partitions: TokenPartitions
    private let interval: Duration
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// - Parameter now: the clock tokens are issued by (`DatabaseClock`), which says what has expired.
    public init(
        partitions: TokenPartitions, interval: Duration, logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.partitions = partitions
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        await Periodic.run(every: interval) {
            let report = try await partitions.purge(now: now())
            if !report.droppedPartitions.isEmpty || report.deletedFamilies > 0 || report.expiredSecrets > 0
                || report.expiredAssertions > 0 || report.expiredRegistrationTokens > 0 || report.expiredSessions > 0
                || report.expiredCodes > 0
            {
                logger.info(
                    "purged expired tokens",
                    metadata: [
                        "partitions": "\(report.droppedPartitions.joined(separator: ","))",
                        "families": "\(report.deletedFamilies)", "secrets": "\(report.expiredSecrets)",
                        "assertions": "\(report.expiredAssertions)",
                        "registration_tokens": "\(report.expiredRegistrationTokens)",
                        "sessions": "\(report.expiredSessions)", "codes": "\(report.expiredCodes)",
                    ])
            }
        } failed: { error in
            logger.notice("token purge did not finish; it runs again later", metadata: ["error": "\(error)"])
        }
    }
}
