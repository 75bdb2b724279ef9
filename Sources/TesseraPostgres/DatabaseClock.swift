import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The database's clock, read on this machine: the one clock tokens are issued, judged and revoked by.
///
/// Revocations are watermarks (`tokens_revoked_before`, `user_token_revocations`) that operators set with the
/// database's time; a token is revoked when it was issued before the watermark. Were `issued_at` this machine's
/// time, a server clock running ahead would let a token issued just before a revocation survive it. So the server
/// measures how far the database's clock is from its own (one `SELECT clock_timestamp()`, taken as read halfway
/// through the round trip, so off by at most half of it) and adds that to every reading. Readings stay as cheap as
/// `Date()`; the offset is measured again every `interval`, so a clock stepped by NTP is followed within it.
public final class DatabaseClock: Service, Sendable {
    private let client: any DatabaseClient
    private let local: @Sendable () -> Date
    private let interval: Duration
    private let logger: Logger
    /// Microseconds the database's clock is ahead of `local` (negative: behind).
    private let offset = Atomic<Int64>(0)

    /// - Parameter local: this machine's clock; tests give one that is off.
    public init(
        client: any DatabaseClient, interval: Duration = .seconds(60), logger: Logger,
        local: @escaping @Sendable () -> Date = Date.init
    ) {
        self.client = client
        self.local = local
        self.interval = interval
        self.logger = logger
    }

    /// The database's time now, as of the last measurement.
    @Sendable public func now() -> Date {
        local().addingTimeInterval(TimeInterval(offset.load(ordering: .relaxed)) / 1_000_000)
    }

    /// How far the database's clock was found ahead of this machine's, in seconds.
    public var measuredOffset: TimeInterval { TimeInterval(offset.load(ordering: .relaxed)) / 1_000_000 }

    /// How many readings one measurement takes; the one with the shortest round trip counts.
    static let samples = 5

    /// Measures the offset once; throws when the database does not answer within its deadline, keeping the last one.
    public func synchronize() async throws {
        // Timed on a leased connection, so that waiting for the pool does not count as the round trip.
        let readings = try await PostgresAvailability.run { [client, local, logger] in
            try await client.current.withConnection { connection in
                var readings: [Reading] = []
                for _ in 0..<Self.samples {
                    let sent = local()
                    for try await time in try await connection.query("SELECT clock_timestamp()", logger: logger)
                        .decode(Date.self)
                    {
                        readings.append(Reading(sent: sent, database: time, received: local()))
                    }
                }
                return readings
            }
        }
        guard let offset = Self.offset(of: readings) else { return }
        self.offset.store(offset, ordering: .relaxed)
    }

    /// One reading of the database's clock, between the moments this machine sent the query and had the answer.
    struct Reading: Sendable {
        let sent: Date
        let database: Date
        let received: Date

        var roundTrip: TimeInterval { received.timeIntervalSince(sent) }
    }

    /// Microseconds the database is ahead, from the reading with the shortest round trip: each is taken as read
    /// halfway through its round trip, so off by at most half of it, and a loaded machine (a thread that ran late, a
    /// busy database) lengthens some round trips, never shortens one. A single reading taken in such a moment once
    /// put a server's clock ahead of the database's by more than the time between a token and its revocation, and
    /// the token survived it.
    static func offset(of readings: [Reading]) -> Int64? {
        guard let best = readings.min(by: { $0.roundTrip < $1.roundTrip }) else { return nil }
        let midway = best.sent.addingTimeInterval(best.roundTrip / 2)
        return Int64((best.database.timeIntervalSince(midway) * 1_000_000).rounded())
    }

    /// Measures the offset every `interval` until shutdown; a round that fails keeps the last offset.
    public func run() async throws {
        await Periodic.run(every: interval, synchronize) { [logger] error in
            logger.debug("the database's clock was not read; the last offset stays", metadata: ["error": "\(error)"])
        }
    }
}
