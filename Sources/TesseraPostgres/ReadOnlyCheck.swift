import PostgresNIO

/// "Does this server take writes?", asked one way wherever it is asked (finding the primary of a host list,
/// following it, readiness): not a standby (`pg_is_in_recovery()`), and not held read-only
/// (`transaction_read_only`, as pg_auto_failover holds a promoted node until the monitor confirms it).
enum ReadOnlyCheck {
    static let query: PostgresQuery =
        "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::bool"

    /// The answer in `rows`, the result of `query`; a server that answers nothing counts as read-only.
    static func isReadOnly(_ rows: PostgresRowSequence) async throws -> Bool {
        for try await readOnly in rows.decode(Bool.self) { return readOnly }
        return true
    }
}
