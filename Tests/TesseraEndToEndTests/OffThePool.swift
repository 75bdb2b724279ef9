import Foundation

/// Runs blocking work (a socket read with a timeout, a child process) on a thread of its own, not on one of the
/// concurrency pool's: the pool has one thread per core, two here, and a test that blocked them for seconds held
/// up every other test's deadlines (a 3 s database deadline measured 27 s in a full run).
func offThePool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
