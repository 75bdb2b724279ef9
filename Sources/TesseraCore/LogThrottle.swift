import Synchronization

/// Lets a repeated log line through at most once an interval per subject: a fault that every request meets (a
/// signing key this instance cannot open) is one line a minute, not one per token.
public final class LogThrottle: Sendable {
    private let interval: Duration
    private let clock = ContinuousClock()
    private let lastLogged = Mutex<[String: ContinuousClock.Instant]>([:])

    public init(interval: Duration = .seconds(60)) {
        self.interval = interval
    }

    /// Whether a line about `subject` may be written now; if so, the next one waits an interval.
    public func allows(_ subject: String) -> Bool {
        let now = clock.now
        return lastLogged.withLock { lastLogged in
            if let last = lastLogged[subject], last + interval > now { return false }
            // Subjects are few (keys of misconfigured tenants); a bound keeps a surprise from growing the table.
            if lastLogged.count >= 1024 { lastLogged.removeAll() }
            lastLogged[subject] = now
            return true
        }
    }
}
