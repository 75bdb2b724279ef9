import Foundation
import Testing

/// A start that cannot succeed ends at once, non-zero, with the database's own reason on one line.
@Suite("Start-up refused, end to end")
struct StartupRefusalEndToEndTests {
    @Test(
        "a database or a role that does not exist: exit 1 within seconds, one line with the server's reason",
        arguments: [("tessera_no_such_database", "does not exist"), ("role", "role \"tessera_no_such_role\"")])
    func refused(_ wrong: String, _ reason: String) async throws {
        var components = try #require(URLComponents(string: try TesseraBinary.databaseURL()))
        if wrong == "role" {
            components.user = "tessera_no_such_role"
            components.password = nil
        } else {
            components.path = "/" + wrong
        }
        let url = try #require(components.string)
        let started = ContinuousClock.now
        let result = try await TesseraBinary.run(
            ["serve", "--port", "\(try TesseraBinary.freePort())"], databaseURL: url)
        // Alone it takes about a second. The bound only has to tell a start that gave up at once from one that
        // waited on the pool's retries (a minute); the reason in the message, which only the probe's own
        // connection reads, tells it from the 10 s status deadline. 8 s was exceeded (10-14 s) when this ran
        // beside the suites that start servers and clusters at once on two cores.
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(result.status == 1)
        let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(lines.count == 1 && lines.first?.contains(reason) == true, "\(result.error)")
    }
}
