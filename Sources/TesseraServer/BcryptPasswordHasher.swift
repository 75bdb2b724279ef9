import HummingbirdBcrypt
import Logging
import NIOPosix
import Synchronization
import TesseraCore

#if canImport(Glibc)
    import Glibc
#endif

/// bcrypt on a small thread pool of its own, never on the threads that serve requests, so that client
/// credentials keep their latency while password grants are saturated. When the pool and its queue are full,
/// a sign-in is refused at once with 503 and `Retry-After` instead of waiting without bound.
///
/// The hashing threads run under SCHED_IDLE and, where the process may make one, in an idle CPU cgroup
/// (`IdleCPUGroup`): bcrypt then gets the cycles nothing else wants, on the whole machine.
public final class BcryptPasswordHasher: PasswordHasher {
    /// bcrypt's work factor: 2^cost rounds. 12 takes a few hundred milliseconds on one core.
    public static let defaultCost = 12
    public let cost: Int
    public let dummyHash: String
    private let pool: NIOThreadPool
    private let capacity: Int
    private let inFlight = Atomic<Int>(0)
    private let cpuGroup: IdleCPUGroup?
    /// Hashing threads already moved into `cpuGroup` (by `pthread_self`): a move is a cgroup migration, once each.
    private let isolatedThreads = Mutex(Set<UInt>())
    private let logger: Logger

    /// - Parameters:
    ///   - threads: hashes computed at once.
    ///   - queueLimit: sign-ins waiting for a thread before new ones are refused.
    ///   - cpuGroup: the idle CPU cgroup the hashing threads move into, if any; removed by `shutdown()`.
    public init(
        cost: Int = defaultCost, threads: Int, queueLimit: Int, cpuGroup: IdleCPUGroup? = nil,
        logger: Logger = Logger(label: "tessera.passwords")
    ) {
        self.cost = min(max(cost, 4), 31)
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.capacity = max(1, threads) + max(0, queueLimit)
        self.cpuGroup = cpuGroup
        self.logger = logger
        self.dummyHash = Bcrypt.hash(CredentialGenerator.consumerSecret(), cost: UInt8(self.cost))
        pool.start()
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(cost)
        return try await run { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async throws -> PasswordVerification {
        let matches = try await run { Bcrypt.verify(password, hash: hash) }
        guard matches else { return .mismatch }
        return (Self.cost(of: hash) ?? cost) < cost ? .matchNeedsRehash : .match
    }

    /// Hashes on the calling thread: for the CLI, which has nothing else to do meanwhile.
    public static func hashBlocking(_ password: String, cost: Int = defaultCost) -> String {
        Bcrypt.hash(password, cost: UInt8(min(max(cost, 4), 31)))
    }

    /// The cost in a `$2b$12$...` hash.
    static func cost(of hash: String) -> Int? {
        let parts = hash.split(separator: "$")
        return parts.count >= 3 ? Int(parts[1]) : nil
    }

    private func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async throws -> Result {
        guard inFlight.add(1, ordering: .relaxed).newValue <= capacity else {
            inFlight.subtract(1, ordering: .relaxed)
            throw OAuthError.temporarilyUnavailable(detail: "the password hashing pool is full", retryAfter: 1)
        }
        defer { inFlight.subtract(1, ordering: .relaxed) }
        return try await pool.runIfActive {
            self.isolateCurrentThread()
            return work()
        }
    }

    /// Stops the hashing threads and removes their CPU cgroup.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
        cpuGroup?.remove()
    }

    private func isolateCurrentThread() {
        Self.yieldToRequests()
        guard let cpuGroup, isolatedThreads.withLock({ $0.insert(UInt(pthread_self())).inserted }) else { return }
        if let failure = cpuGroup.enter() {
            logger.notice(
                "a password hashing thread stays outside its idle CPU cgroup", metadata: ["error": "\(failure)"])
        }
    }

    /// The hashing thread runs under SCHED_IDLE (Linux, per thread, idempotent): the scheduler treats a core that
    /// runs only such a thread as idle, places request threads that wake up there and lets them preempt it at
    /// once, but only among the threads of its own group (autogroup or cgroup): hence `IdleCPUGroup` as well.
    /// (nice 19 was not enough: the hashing thread still held a core of its own against the load balancer.) The
    /// nice value stays 19 for schedulers without SCHED_IDLE.
    static func yieldToRequests() {
        #if os(Linux)
            // Linux keeps the scheduling policy and nice value per thread: pid 0 is the calling thread.
            // SCHED_IDLE is 5 in <sched.h>, which Swift's Glibc module hides (it needs _GNU_SOURCE).
            let schedIdle: Int32 = 5
            var parameters = sched_param(sched_priority: 0)
            if sched_setscheduler(0, schedIdle, &parameters) != 0 {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            }
        #endif
    }
}
