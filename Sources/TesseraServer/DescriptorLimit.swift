#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file limit, which bounds how many connections the server can hold. The soft limit is often
/// 1,024 while the hard one allows far more; `serve` raises the soft one to the hard one at start.
enum DescriptorLimit {
    /// Descriptors kept back from the listeners' connections: database connections, log and certificate files,
    /// listening sockets, the event loops' own.
    static let reserve = 128

    /// Raises the soft limit to the hard one; returns the limit in force afterwards.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
    }

    /// The most connections each of `listeners` may hold so that together they never exhaust the descriptors.
    static func connectionsPerListener(limit: Int, listeners: Int, databaseConnections: Int) -> Int {
        max(1, (limit - reserve - databaseConnections) / max(1, listeners))
    }
}
