import HTTPTypes
import HummingbirdTesting
import Prometheus
import TesseraHTTP
import Testing

/// The request metrics count by endpoint, grant type and outcome, from bounded sets only: nothing a client sends
/// (a made-up grant type, a tenant, a key or a secret) becomes a label value.
@Suite("Request metrics")
struct RequestMetricsTests {
    @Test("counters by endpoint, grant type and outcome; failed client authentication; token latency")
    func countsOutcomes() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = RequestMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let madeUp = "urn:made-up:\(UInt32.random(in: 0...UInt32.max))"
        try await TestServer().test(metrics: metrics) { client in
            #expect(try await client.requestToken().status == .ok)
            #expect(try await client.requestToken().status == .ok)
            #expect(try await client.postToken(form: Form.clientCredentials).status == .unauthorized)
            let unknown = try await client.postToken(
                form: [("grant_type", madeUp)], authorization: Form.basic(Applications.acme))
            #expect(unknown.status == .badRequest)
            #expect(try await client.requestToken(path: "/t/nowhere.com/token").status == .notFound)
            #expect(try await client.execute(uri: "/nope", method: .get).status == .notFound)
            #expect(try await client.execute(uri: Paths.acme, method: .get).status == .methodNotAllowed)
        }
        let text = registry.emitToString()
        let token = #"endpoint="token",grant_type="client_credentials""#
        #expect(text.contains(#"tessera_requests_total{\#(token),outcome="2xx"} 2"#), "\(text)")
        #expect(text.contains(#"tessera_requests_total{\#(token),outcome="invalid_client"} 1"#))
        #expect(
            text.contains(
                #"tessera_requests_total{endpoint="token",grant_type="other",outcome="unsupported_grant_type"} 1"#))
        #expect(text.contains(#"tessera_requests_total{\#(token),outcome="not_found"} 1"#))
        #expect(text.contains(#"tessera_requests_total{endpoint="other",grant_type="none",outcome="not_found"} 1"#))
        #expect(
            text.contains(#"tessera_requests_total{endpoint="token",grant_type="none",outcome="invalid_request"} 1"#))
        #expect(text.contains(#"tessera_client_authentication_failures_total{endpoint="token"} 1"#))
        #expect(text.contains(#"tessera_token_issue_duration_seconds_count{grant_type="client_credentials"} 2"#))
        for clientValue in [madeUp, "acme.com", "nowhere.com", Applications.acme.key, Applications.acme.secret] {
            #expect(!text.contains(clientValue), "a label from the request: \(clientValue)")
        }
    }
}
