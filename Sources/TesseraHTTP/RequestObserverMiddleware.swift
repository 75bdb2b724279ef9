import Hummingbird
import Logging

/// Sees every request once its response is ready, and reports it to the access log and, when they are on, the
/// metrics. Outermost, so that it sees the status the client gets and the whole latency.
struct RequestObserverMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext

    let metrics: RequestMetrics?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            report(request, context: context, status: response.status.code, since: started)
            return response
        } catch {
            // The error middleware inside answers every error, so this is only a safety net.
            report(
                request, context: context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started
            )
            throw error
        }
    }

    private func report(_ request: Request, context: Context, status: Int, since started: ContinuousClock.Instant) {
        // Nothing to do when neither reads it (metrics off, log above info, as in the benchmark).
        guard metrics != nil || context.logger.logLevel <= .info else { return }
        let completed = CompletedRequest(
            request, notes: context.notes.values, status: status, duration: ContinuousClock.now - started)
        completed.log(to: context.logger)
        metrics?.record(completed)
    }
}
