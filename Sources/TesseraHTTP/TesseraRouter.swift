import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// Builds the router with every public route, so that the server and the tests run the very same one; without
/// token routes, the frame of the admin listener (its middleware and health).
public func buildRouter(
    tokenRoutes: TokenRoutes?, discovery: DiscoveryRoutes? = nil, grantEndpoints: GrantEndpointRoutes? = nil,
    keySets: KeySetRoutes? = nil, health: HealthRoutes? = nil, metrics: RequestMetrics? = nil
) -> Router<TesseraRequestContext> {
    let router = Router(context: TesseraRequestContext.self)
    router.add(middleware: RequestObserverMiddleware(metrics: metrics))
    router.add(middleware: JSONErrorMiddleware())
    tokenRoutes?.register(on: router)
    discovery?.register(on: router)
    grantEndpoints?.register(on: router)
    keySets?.register(on: router)
    health?.register(on: router)
    return router
}
