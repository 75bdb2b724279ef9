import Foundation
import Testing

/// `serve --metrics-port`: a second server on the same host answers `GET /metrics` in Prometheus' text format,
/// and the counters move with the requests the public port serves.
@Suite("Prometheus metrics, end to end")
struct MetricsEndToEndTests {
    struct Created: Decodable {
        let consumer_key: String
        let consumer_secret: String
    }

    /// The value of the series `name{labels}` (or `name` without labels), 0 when it is not there yet.
    static func value(_ series: String, in text: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ")[1]) ?? .nan
        }
        return 0
    }

    @Test("scrape, request, scrape again: the request, failure, latency and batch series moved; no client data")
    func countersMove() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "metrics-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        let created = try await TesseraBinary.run(
            ["app", "create", "--tenant", domain, "--name", "measured", "--json"], databaseURL: database)
        try #require(created.status == 0, "app create: \(created.error)")
        let app = try JSONDecoder().decode(Created.self, from: Data(created.output.utf8))

        let (port, metricsPort) = (try TesseraBinary.freePort(), try TesseraBinary.freePort())
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-metrics-\(port).log")
        let server = try TesseraBinary.serve(
            ["--port", "\(port)", "--metrics-port", "\(metricsPort)"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()
        let metrics = TokenClient(port: metricsPort)

        let before = try await metrics.get("/metrics")
        #expect(before.status == 200)
        #expect(before.headers["content-type"]?.hasPrefix("text/plain") == true)

        let path = "/t/\(domain)/token"
        for _ in 0..<3 {
            let issued = try await client.post(
                path, form: "grant_type=client_credentials", key: app.consumer_key, secret: app.consumer_secret)
            #expect(issued.status == 200)
        }
        let refused = try await client.post(
            path, form: "grant_type=client_credentials", key: app.consumer_key, secret: "wrong")
        #expect(refused.status == 401)
        #expect(try await client.get("/health/live").status == 200)

        let after = try await metrics.get("/metrics")
        let series = (
            issued: #"tessera_requests_total{endpoint="token",grant_type="client_credentials",outcome="2xx"}"#,
            refused:
                #"tessera_requests_total{endpoint="token",grant_type="client_credentials",outcome="invalid_client"}"#,
            failures: #"tessera_client_authentication_failures_total{endpoint="token"}"#,
            latency: #"tessera_token_issue_duration_seconds_count{grant_type="client_credentials"}"#,
            health: #"tessera_requests_total{endpoint="health",grant_type="none",outcome="2xx"}"#,
            batches: "tessera_token_write_batch_size_count",
            batched: "tessera_token_write_batch_size_sum"
        )
        func moved(_ name: String) -> Double { Self.value(name, in: after.text) - Self.value(name, in: before.text) }
        #expect(moved(series.issued) == 3, "\(after.text)")
        #expect(moved(series.refused) == 1)
        #expect(moved(series.failures) == 1)
        #expect(moved(series.latency) == 3)
        #expect(moved(series.health) == 1)
        #expect(moved(series.batched) == 3)
        #expect(moved(series.batches) >= 1)
        for clientValue in [domain, app.consumer_key, app.consumer_secret] {
            #expect(!after.text.contains(clientValue))
        }
        #expect(try await metrics.get("/").status == 404)

        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }
}
