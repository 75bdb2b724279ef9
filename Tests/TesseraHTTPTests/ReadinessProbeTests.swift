import Synchronization
import TesseraCore
import Testing

@testable import TesseraHTTP

@Suite("Readiness probe")
struct ReadinessProbeTests {
    final class Counter: Sendable {
        let calls = Atomic(0)
    }

    @Test("concurrent probes share one check, and a result is reused within the interval")
    func coalesces() async throws {
        let counter = Counter()
        let probe = ReadinessProbe(reuse: .seconds(60)) {
            counter.calls.add(1, ordering: .relaxed)
            try? await Task.sleep(for: .milliseconds(100))
            return .unavailable(reason: "down")
        }
        let answers = await withTaskGroup(of: Readiness.self) { group in
            for _ in 0..<50 { group.addTask { await probe.readiness() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 50 && answers.allSatisfy { $0 == .unavailable(reason: "down") })
        #expect(await probe.readiness() == .unavailable(reason: "down"))
        #expect(counter.calls.load(ordering: .relaxed) == 1)
    }

    @Test("after the interval the check runs again")
    func expires() async throws {
        let counter = Counter()
        let probe = ReadinessProbe(reuse: .milliseconds(50)) {
            counter.calls.add(1, ordering: .relaxed)
            return .ready
        }
        #expect(await probe.readiness() == .ready)
        try await Task.sleep(for: .milliseconds(80))
        #expect(await probe.readiness() == .ready)
        #expect(counter.calls.load(ordering: .relaxed) == 2)
    }
}
