import Foundation
import Testing

/// The client authentication throttle through the binary (issue 14): a flood of bad credentials from one address
/// is answered 429 with Retry-After; behind a trusted proxy, the address counted is the one it forwards.
@Suite("Client throttle, end to end")
struct ClientThrottleEndToEndTests {
    @Test("twenty bad requests from one address, then 429 for it alone; X-Forwarded-For only from a trusted proxy")
    func floodIsThrottled() async throws {
        let database = try TesseraBinary.databaseURL()
        let (domain, app) = try await TesseraBinary.tenantWithApplication("throttle", databaseURL: database)

        for trusted in [false, true] {
            let port = try TesseraBinary.freePort()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-throttle-\(port).log")
            let server = try TesseraBinary.serve(
                ["--port", "\(port)", "--client-throttle-window", "30"]
                    + (trusted ? ["--trusted-proxies", "127.0.0.1"] : []), databaseURL: database, log: log)
            defer { if server.isRunning { server.terminate() } }
            let client = TokenClient(port: port)
            try await client.waitUntilServing()
            let path = "/t/\(domain)/token"
            let form = "grant_type=client_credentials"
            let attacker = ["X-Forwarded-For: 203.0.113.5"]
            for index in 0..<20 {
                let answer = try await client.post(
                    path, form: form, key: "random-\(index)", secret: "guess", headers: attacker)
                #expect(answer.status == 401, "attempt \(index): \(answer.status)")
            }
            let throttled = try await client.post(
                path, form: form, key: "random-20", secret: "guess", headers: attacker)
            #expect(throttled.status == 429 && throttled.json["error"] as? String == "slow_down")
            #expect(Int(throttled.headers["retry-after"] ?? "") == 1)
            // The legitimate client elsewhere: its own address behind the trusted proxy; without that setting
            // the header is ignored and it shares the flooded address.
            let legit = try await client.post(
                path, form: form, key: app.consumer_key, secret: app.consumer_secret,
                headers: ["X-Forwarded-For: 198.51.100.9"])
            #expect(legit.status == (trusted ? 200 : 429), "trusted proxy: \(trusted)")
            server.terminate()
            server.waitUntilExit()
        }
    }
}
