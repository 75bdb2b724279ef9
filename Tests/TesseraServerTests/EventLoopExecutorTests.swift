import Testing

@testable import TesseraServer

/// The executor's hook can only be installed in a process of its own: the JSON access log's end-to-end test reads
/// the binary's start-up check, which says yes there (and no with SwiftNIO's takeover or none, tried by hand).
@Suite struct EventLoopExecutorTests {
    @Test func aTaskOnSwiftsOwnExecutorDoesNotHoldALoop() async {
        #expect(await EventLoopExecutor.holdsTheLoop() == false)
    }
}
