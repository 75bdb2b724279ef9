import Synchronization
import TesseraCore

/// Runs a readiness check at most once a `reuse` interval however many probes arrive, and lets concurrent
/// probes share the check in flight: the endpoint is public, and each check costs a database round trip.
final class ReadinessProbe: Sendable {
    private struct State {
        var latest: (at: ContinuousClock.Instant, readiness: Readiness)?
        var running: Task<Readiness, Never>?
    }

    private let check: @Sendable () async -> Readiness
    private let reuse: Duration
    private let state = Mutex(State())

    init(reuse: Duration = .seconds(1), check: @escaping @Sendable () async -> Readiness) {
        self.check = check
        self.reuse = reuse
    }

    func readiness() async -> Readiness {
        enum Next {
            case known(Readiness)
            case waitFor(Task<Readiness, Never>)
        }
        let next = state.withLock { state -> Next in
            if let latest = state.latest, ContinuousClock.now - latest.at < reuse { return .known(latest.readiness) }
            if let running = state.running { return .waitFor(running) }
            let task = Task { await self.runCheck() }
            state.running = task
            return .waitFor(task)
        }
        switch next {
        case .known(let readiness): return readiness
        case .waitFor(let task): return await task.value
        }
    }

    private func runCheck() async -> Readiness {
        let readiness = await check()
        state.withLock { state in
            state.latest = (ContinuousClock.now, readiness)
            state.running = nil
        }
        return readiness
    }
}
