import Testing

@testable import TesseraHTTP

/// The deadlines of one connection, moved by a clock of the test's own: each stage has its limit, the server's
/// own answering has none, and a pipelined request read during an answer counts from that answer's end.
@Suite("Connection deadlines")
struct ConnectionPhaseTests {
    static let start = ContinuousClock.now
    static func at(_ seconds: Double) -> ContinuousClock.Instant { start + .seconds(seconds) }

    static var limits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(75)
        limits.headerTimeout = .seconds(10)
        limits.bodyTimeout = .seconds(10)
        limits.minimumBodyRate = 1000
        limits.maximumBodySize = 64_000
        return limits
    }

    @Test("idle until the first byte, then the header timeout from that byte")
    func idleThenHead() {
        var phase = ConnectionPhase(now: Self.at(0))
        #expect(phase.isIdle && phase.deadline(Self.limits) == Self.at(75))
        phase.bytesRead(at: Self.at(30))
        #expect(phase.stage == .readingHead && phase.deadline(Self.limits) == Self.at(40))
        phase.bytesRead(at: Self.at(35))
        #expect(phase.deadline(Self.limits) == Self.at(40), "more bytes of the head do not extend it")
    }

    @Test("a body: the pause limit, and the whole body due by the timeout plus its length at the minimum rate")
    func body() {
        var phase = ConnectionPhase(now: Self.at(0))
        phase.bytesRead(at: Self.at(0))
        phase.headRead(contentLength: 50_000, limits: Self.limits, at: Self.at(1))
        #expect(phase.deadline(Self.limits) == Self.at(11))
        // Trickled every 9 s, it stays within the pause limit, but not past 1 + 10 + 50 s.
        for second in stride(from: 10.0, through: 55, by: 9) {
            phase.bytesRead(at: Self.at(second))
            #expect(phase.deadline(Self.limits)! <= Self.at(61))
        }
        phase.bytesRead(at: Self.at(60))
        #expect(phase.deadline(Self.limits) == Self.at(61))
        // A chunked body is held to the largest body the server takes.
        var chunked = ConnectionPhase(now: Self.at(0))
        chunked.headRead(contentLength: nil, limits: Self.limits, at: Self.at(0))
        chunked.bytesRead(at: Self.at(9))
        #expect(chunked.deadline(Self.limits) == Self.at(19))
    }

    @Test("no deadline while the server answers; idle again after the answer, or reading a head read meanwhile")
    func responding() {
        var phase = ConnectionPhase(now: Self.at(0))
        phase.bytesRead(at: Self.at(0))
        phase.headRead(contentLength: 0, limits: Self.limits, at: Self.at(0))
        phase.requestEnded(at: Self.at(0))
        #expect(phase.deadline(Self.limits) == nil)
        phase.responseEnded(at: Self.at(100))
        #expect(phase.isIdle && phase.deadline(Self.limits) == Self.at(175))

        phase.bytesRead(at: Self.at(200))
        phase.headRead(contentLength: 0, limits: Self.limits, at: Self.at(200))
        phase.requestEnded(at: Self.at(200))
        phase.bytesRead(at: Self.at(201))  // the next request, pipelined
        phase.responseEnded(at: Self.at(202))
        #expect(phase.stage == .readingHead && phase.deadline(Self.limits) == Self.at(212))
    }
}
