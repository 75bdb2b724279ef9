import Foundation
import Logging
import Synchronization
import TesseraCore

/// Client ID Metadata Documents as fetched, kept as HTTP caching allows (RFC 9111 `max-age`), within bounds: at least
/// `minimumAge` (a document saying `no-store` is still not fetched on every request) and at most `maximumAge`;
/// `defaultAge` when the response says nothing. A failed fetch is remembered for `failureAge`, so a client whose host is
/// down, or a made-up URL, costs one fetch a minute, not one per request. At most `maximumEntries` URLs are kept.
public final class ClientDocumentCache: Sendable {
    private struct Entry {
        let document: Result<Data, FetchError>
        let expiresAt: Date
    }

    public let minimumAge: TimeInterval
    public let defaultAge: TimeInterval
    public let maximumAge: TimeInterval
    public let failureAge: TimeInterval
    public let maximumEntries: Int
    private let fetcher: DocumentFetcher
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let entries = Mutex([String: Entry]())

    public init(
        fetcher: DocumentFetcher, minimumAge: TimeInterval = 60, defaultAge: TimeInterval = 300,
        maximumAge: TimeInterval = 86_400, failureAge: TimeInterval = 60, maximumEntries: Int = 10_000,
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.fetcher = fetcher
        self.minimumAge = minimumAge
        self.defaultAge = defaultAge
        self.maximumAge = maximumAge
        self.failureAge = failureAge
        self.maximumEntries = maximumEntries
        self.logger = logger
        self.now = now
    }

    /// The document at `url`: cached, or fetched now. Throws `FetchError` for a failure, fresh or remembered.
    public func document(at url: String) async throws -> Data {
        let now = now()
        if let entry = entries.withLock({ $0[url] }), now < entry.expiresAt { return try entry.document.get() }
        let entry: Entry
        do {
            let fetched = try await fetcher.fetchDocument(url)
            let age = min(max(TimeInterval(fetched.maxAge ?? Int(defaultAge)), minimumAge), maximumAge)
            entry = Entry(document: .success(fetched.body), expiresAt: now.addingTimeInterval(age))
        } catch {
            let failure = error as? FetchError ?? FetchError("\(error)")
            logger.debug("client metadata document not fetched", metadata: ["url": "\(url)", "error": "\(failure)"])
            entry = Entry(document: .failure(failure), expiresAt: now.addingTimeInterval(failureAge))
        }
        entries.withLock { entries in
            if entries.count >= maximumEntries {
                // Expired entries first; if none, any: the bound holds whatever the clients send.
                let expired = entries.filter { $0.value.expiresAt <= now }.map(\.key)
                for key in expired { entries.removeValue(forKey: key) }
                if entries.count >= maximumEntries, let any = entries.keys.first { entries.removeValue(forKey: any) }
            }
            entries[url] = entry
        }
        return try entry.document.get()
    }
}
