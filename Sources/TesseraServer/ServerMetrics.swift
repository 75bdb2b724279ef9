import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The Prometheus registry behind `GET /metrics`, and the swift-metrics factory that fills it, with histogram
/// buckets fit for what Tessera measures. No global `MetricsSystem` bootstrap: the factory is handed to whatever
/// records, so that tests can run any number of servers in one process.
public struct ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A token takes about a millisecond when all is well; the default buckets start at 5 ms.
        factory.durationHistogramBuckets["tessera_token_issue_duration_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5),
        ]
        // Powers of two up to GroupCommitTokenStore's largest batch.
        factory.valueHistogramBuckets["tessera_token_write_batch_size"] = (0...9).map { Double(1 << $0) }
        self.registry = registry
        self.factory = factory
    }

    /// A small server of its own on `host:port`: `GET /metrics` in Prometheus' text format, and nothing else.
    func server(host: String, port: Int, logger: Logger) -> some Service {
        let router = Router()
        router.get("/metrics") { [registry] _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil), logger: logger)
    }
}
