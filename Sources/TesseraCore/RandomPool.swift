import Crypto
import Synchronization

/// Random bytes for tokens, drawn from the system's generator 4 KiB at a time.
///
/// Every token needs 16 to 32 random bytes, and asking the kernel for them (`getrandom`, a system call) cost 3 to
/// 4 µs of each token (perf, bench/RESULTS.md). The pool asks once per 128 tokens of 32 bytes. Its bytes come
/// from the same source, and each is handed out once and erased as it is taken, so what stays in memory is only
/// what no token has used yet.
enum RandomPool {
    private static let capacity = 4096

    private struct Pool: ~Copyable {
        var bytes = [UInt8](repeating: 0, count: RandomPool.capacity)
        /// Bytes before this index were handed out (and zeroed).
        var next = RandomPool.capacity
    }

    private static let pool = Mutex(Pool())

    /// `body` over `count` fresh random bytes (at most 256), never handed out before.
    static func withBytes<Result>(count: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        precondition((1...256).contains(count), "a token's randomness is 1 to 256 bytes")
        var taken = [UInt8](repeating: 0, count: count)
        pool.withLock { pool in
            if pool.next + count > capacity {
                SymmetricKey(size: SymmetricKeySize(bitCount: capacity * 8)).withUnsafeBytes { fresh in
                    pool.bytes.withUnsafeMutableBytes { $0.copyMemory(from: fresh) }
                }
                pool.next = 0
            }
            for index in 0..<count {
                taken[index] = pool.bytes[pool.next + index]
                pool.bytes[pool.next + index] = 0
            }
            pool.next += count
        }
        return taken.withUnsafeBytes(body)
    }
}
