import Foundation
import Synchronization

/// Slows down guessing for one key (a tenant's username, a client, a source address): after `freeFailures`
/// failures in a row, each further attempt must wait a delay that doubles per failure, up to `window`. A success
/// resets it.
///
/// Refused attempts are not counted, and every entry is forgotten `window` after its last failure, so neither an
/// attacker nor a flood of bad guesses can lock anyone out for longer than `window`. Memory is bounded by
/// `maximumEntries`; past it, new keys are not throttled rather than the table growing.
public final class FailureThrottle<Key: Hashable & Sendable>: Sendable {
    private struct Entry {
        var failures: Int
        var lastFailure: Date
    }

    private struct Entries {
        var table: [Key: Entry] = [:]
        /// When a full table was last swept for expired entries: at most once a second, so that a flood of new keys
        /// into a full table costs a lookup each, not a sweep each.
        var lastSweep = Date.distantPast
    }

    public let freeFailures: Int
    public let baseDelay: TimeInterval
    public let window: TimeInterval
    public let maximumEntries: Int
    private let now: @Sendable () -> Date
    private let entries = Mutex(Entries())
    /// Whether the table has any entry: every request asks, almost always of an empty table, without the lock.
    private let occupied = Atomic<Bool>(false)

    public init(
        freeFailures: Int = 5, baseDelay: TimeInterval = 1, window: TimeInterval = 900, maximumEntries: Int = 100_000,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.freeFailures = freeFailures
        self.baseDelay = baseDelay
        self.window = window
        self.maximumEntries = maximumEntries
        self.now = now
    }

    /// Seconds the caller must still wait before this attempt may be checked; nil when it may go ahead.
    public func retryAfter(_ key: Key) -> Int? {
        guard occupied.load(ordering: .relaxed) else { return nil }
        let now = now()
        return entries.withLock { entries in
            guard let entry = entries.table[key] else { return nil }
            let until = entry.lastFailure.addingTimeInterval(delay(afterFailures: entry.failures))
            guard until > now else { return nil }
            return max(1, Int((until.timeIntervalSince(now)).rounded(.up)))
        }
    }

    public func recordFailure(_ key: Key) {
        let now = now()
        entries.withLock { entries in
            if var entry = entries.table[key], now.timeIntervalSince(entry.lastFailure) < window {
                entry.failures += 1
                entry.lastFailure = now
                entries.table[key] = entry
                return
            }
            if entries.table.count >= maximumEntries {
                guard now.timeIntervalSince(entries.lastSweep) >= 1 else { return }
                entries.lastSweep = now
                entries.table = entries.table.filter { now.timeIntervalSince($0.value.lastFailure) < window }
                guard entries.table.count < maximumEntries else { return }
            }
            entries.table[key] = Entry(failures: 1, lastFailure: now)
            occupied.store(true, ordering: .relaxed)
        }
    }

    public func recordSuccess(_ key: Key) {
        guard occupied.load(ordering: .relaxed) else { return }
        entries.withLock { entries in
            entries.table.removeValue(forKey: key)
            if entries.table.isEmpty { occupied.store(false, ordering: .relaxed) }
        }
    }

    /// No wait for the first `freeFailures`, then `baseDelay` doubling per failure, never more than `window`.
    func delay(afterFailures failures: Int) -> TimeInterval {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 30)
        return min(baseDelay * pow(2, Double(doublings)), window)
    }
}

/// Password guessing for one (tenant, username), case-insensitively: the password grant's throttle.
public typealias LoginThrottle = FailureThrottle<LoginThrottleKey>

public struct LoginThrottleKey: Hashable, Sendable {
    let tenantID: Tenant.ID
    let username: String

    public init(tenantID: Tenant.ID, username: String) {
        self.tenantID = tenantID
        self.username = username.lowercased()
    }
}
