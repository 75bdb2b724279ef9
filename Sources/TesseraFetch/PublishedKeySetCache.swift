import Foundation
import Logging
import Synchronization
import TesseraCore

/// The clients' published JWK sets (`jwks_uri`), fetched on first use and kept: a token request with a cached set
/// costs no fetch. A set is fetched again when it is `freshFor` old, or sooner when an assertion names a `kid` it
/// lacks (at most once per `refetchInterval`, so that made-up `kid`s cannot make the server fetch on every request).
/// When a fetch fails, the last set is used for up to `staleFor` (a client's host down for a while does not lock it
/// out); a failure with nothing cached is remembered for `refetchInterval`, so it is not retried per request.
/// Fetches of one URL at once share one fetch.
public final class PublishedKeySetCache: PublishedKeySets {
    private struct Entry {
        var keys: ClientKeySet?
        var keysFetchedAt: Date
        var lastAttempt: Date
        var failure: String?

        func keysAge(_ now: Date) -> TimeInterval {
            keys == nil ? .infinity : now.timeIntervalSince(keysFetchedAt)
        }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var inFlight: [String: Task<ClientKeySet, any Error>] = [:]
    }

    public let freshFor: TimeInterval
    public let refetchInterval: TimeInterval
    public let staleFor: TimeInterval
    public let maximumEntries: Int
    private let fetcher: DocumentFetcher
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    public init(
        fetcher: DocumentFetcher, freshFor: TimeInterval = 300, refetchInterval: TimeInterval = 60,
        staleFor: TimeInterval = 86_400, maximumEntries: Int = 10_000, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.fetcher = fetcher
        self.freshFor = freshFor
        self.refetchInterval = refetchInterval
        self.staleFor = staleFor
        self.maximumEntries = maximumEntries
        self.logger = logger
        self.now = now
    }

    public func keySet(at url: String, refresh: Bool) async throws -> ClientKeySet {
        let now = now()
        let (cached, task): (Entry?, Task<ClientKeySet, any Error>?) = state.withLock { state in
            let entry = state.entries[url]
            if let entry {
                let due = entry.keysAge(now) >= freshFor || refresh
                guard due, now.timeIntervalSince(entry.lastAttempt) >= refetchInterval else { return (entry, nil) }
            }
            if let running = state.inFlight[url] { return (entry, running) }
            let running = Task { try await self.fetch(url) }
            state.inFlight[url] = running
            return (entry, running)
        }
        guard let task else { return try Self.usable(cached, now: now, staleFor: staleFor) }
        do {
            return try await task.value
        } catch {
            // The last good set while it is not too old, rather than refusing a client whose host is down.
            return try Self.usable(cached, now: now, staleFor: staleFor)
        }
    }

    /// The cached set while it is younger than `staleFor`; else why there is none.
    private static func usable(_ entry: Entry?, now: Date, staleFor: TimeInterval) throws -> ClientKeySet {
        guard let entry, let keys = entry.keys, entry.keysAge(now) < staleFor else {
            throw FetchError(entry?.failure ?? "no key set")
        }
        return keys
    }

    /// One fetch of `url`, its outcome kept for everyone who asks next.
    private func fetch(_ url: String) async throws -> ClientKeySet {
        let outcome: Result<ClientKeySet, any Error>
        do {
            let (document, _) = try await fetcher.fetch(url, accept: "application/jwk-set+json, application/json")
            outcome = .success(try ClientKeySet(json: String(decoding: document, as: UTF8.self)))
        } catch {
            logger.notice(
                "could not fetch a client's published key set",
                metadata: ["jwks_uri": "\(url.prefix(200))", "error": "\(error)"])
            outcome = .failure(error)
        }
        let attempted = now()
        state.withLock { state in
            state.inFlight[url] = nil
            if state.entries.count >= maximumEntries, state.entries[url] == nil {
                // A full table forgets what was not asked for lately rather than growing.
                let cutoff = attempted.addingTimeInterval(-freshFor)
                state.entries = state.entries.filter { $0.value.lastAttempt > cutoff }
                if state.entries.count >= maximumEntries { return }
            }
            var entry = state.entries[url] ?? Entry(keys: nil, keysFetchedAt: attempted, lastAttempt: attempted)
            entry.lastAttempt = attempted
            switch outcome {
            case .success(let keys):
                (entry.keys, entry.keysFetchedAt, entry.failure) = (keys, attempted, nil)
            case .failure(let error):
                // The last good set stays, used while it is not stale.
                entry.failure = "\(error)"
            }
            state.entries[url] = entry
        }
        return try outcome.get()
    }
}
