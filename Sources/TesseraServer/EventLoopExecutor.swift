import CConcurrencyHook
import NIOCore
import NIOPosix

/// Makes SwiftNIO's event loops Swift's global executor, running each job *as* the generic executor, so that a
/// task stays on its loop from one nonisolated async call to the next instead of going round the loop's queue.
///
/// SwiftNIO's own takeover (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`)
/// runs each job isolated to the loop's serial executor. Every nonisolated async function a task then enters asks
/// for the generic executor, finds another one, and sends the task round the loop's queue again: about seven extra
/// trips per introspection (uprobes on `swift_task_enqueueGlobal`: 97% came from `swift_task_switch`). A task
/// executor preference avoids the trips too, but then every one of those calls looks the preference up in the
/// task's status records under a lock (5% of the server's CPU). Here nothing is left to switch.
///
/// As with SwiftNIO's takeover: a job goes to the loop of the thread that enqueues it, so a task resumed by another
/// loop (or by a hashing thread, round robin) moves there; priorities are not kept (first in, first out); delayed
/// jobs (`Task.sleep`) are not hooked and wake on Dispatch, then come back through here.
public enum EventLoopExecutor {
    private typealias Original = @convention(thin) (UnownedJob) -> Void
    private typealias Hook = @convention(thin) (UnownedJob, Original) -> Void

    /// The generic executor, which the runtime represents as a null identity with no implementation. There is no
    /// public way to name it; `holdsTheLoop()` checks at start-up that this one behaves as it.
    @inline(__always)
    private static var generic: UnownedSerialExecutor {
        unsafeBitCast((0 as UInt, 0 as UInt), to: UnownedSerialExecutor.self)
    }

    /// Installs the hook through which Swift enqueues every job without an executor of its own. Only before any
    /// job has been enqueued there (so, first thing in main.swift) and once; false if another hook is in place.
    public static func install() -> Bool {
        guard MemoryLayout<UnownedSerialExecutor>.size == 2 * MemoryLayout<UInt>.size else { return false }
        let slot = UnsafeMutableRawPointer(tessera_swift_task_enqueueGlobal_hook())
        guard slot.load(as: UnsafeRawPointer?.self) == nil else { return false }
        let hook: Hook = { job, _ in
            // `any()` is the enqueuing thread's own loop when it is one of the group's.
            MultiThreadedEventLoopGroup.singleton.any().execute {
                job.runSynchronously(on: EventLoopExecutor.generic)
            }
        }
        slot.assumingMemoryBound(to: Hook?.self).pointee = hook
        return true
    }

    /// Whether the calling task runs on an event loop and keeps it across nonisolated async calls: a job queued on
    /// that loop first would run in between if any call sent the task round the queue (a trip comes back to the
    /// same loop, behind that job).
    public static func holdsTheLoop() async -> Bool {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return false }
        let overtaken = NIOLoopBound(Box(), eventLoop: loop)
        loop.execute { overtaken.value.flag = true }
        var onALoop = true
        for _ in 0..<16 {
            onALoop = await nonisolatedStep() && onALoop
        }
        guard onALoop, loop.inEventLoop else { return false }
        return !overtaken.value.flag
    }

    /// Runs on the generic executor whatever the caller's isolation (`@concurrent`), and calls out, so that the
    /// optimiser keeps its switch to it.
    @concurrent @inline(never)
    private static func nonisolatedStep() async -> Bool {
        MultiThreadedEventLoopGroup.currentEventLoop != nil
    }

    private final class Box {
        var flag = false
    }
}
