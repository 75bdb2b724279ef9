import Foundation
import Logging
import ServiceLifecycle

/// The tenants' signing keys over time, at start and then every `interval` until shutdown: a new key for each tenant
/// whose signer reaches `rotationPeriod` (made early enough to be published for the key set's cache lifetime first),
/// and the deletion of keys every token of which has expired. Every instance may run it: each tenant's change is
/// decided under its advisory lock, so racing instances make one key.
public struct SigningKeySchedule: Service {
    /// How often the keys are looked at: far below any rotation period and the activation delay.
    public static let interval: Duration = .seconds(600)

    private let keys: PostgresSigningKeys
    /// Seconds; 0 turns automatic rotation off (expired keys are still deleted).
    private let rotationPeriod: TimeInterval
    private let interval: Duration
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// - Parameter now: the clock tokens are issued by (`DatabaseClock`), which the timeline is read by.
    public init(
        keys: PostgresSigningKeys, rotationPeriod: TimeInterval, interval: Duration = interval, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) {
        self.keys = keys
        self.rotationPeriod = rotationPeriod
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        await Periodic.run(every: interval, runOnce) { error in
            logger.notice("signing key schedule did not finish; it runs again later", metadata: ["error": "\(error)"])
        }
    }

    /// One round: rotations due, then expired keys.
    public func runOnce() async throws {
        if rotationPeriod > 0 {
            let rotated = try await keys.rotateDue(period: rotationPeriod, at: now())
            if !rotated.isEmpty {
                logger.info("rotated signing keys", metadata: ["tenant_ids": "\(rotated.map(String.init))"])
            }
        }
        let deleted = try await keys.deleteExpired(at: now())
        if deleted > 0 { logger.info("deleted expired signing keys", metadata: ["keys": "\(deleted)"]) }
    }
}
