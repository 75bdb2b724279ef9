import HTTPTypes

/// Keyset paging of the admin API's lists: a page is at most `limit` items after the key `after`, and `next` is
/// the key to pass for the following page (absent on the last one).
enum Paging {
    static let defaultLimit = 100
    static let maximumLimit = 500

    static func limit(_ requested: Int?) throws -> Int {
        let limit = requested ?? defaultLimit
        guard (1...maximumLimit).contains(limit) else {
            throw AdminProblem(.badRequest, "limit must be 1 to \(maximumLimit)")
        }
        return limit
    }

    /// `fetched` holds up to `limit + 1` items: one more than the page says whether another page follows.
    static func page<Item>(_ fetched: [Item], limit: Int, key: (Item) -> String) -> (items: [Item], next: String?) {
        guard fetched.count > limit else { return (fetched, nil) }
        let items = Array(fetched.prefix(limit))
        return (items, items.last.map(key))
    }
}
