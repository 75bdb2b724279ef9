import CoreMetrics
import Foundation
import Hummingbird
import Logging
import NIOSSL
import ServiceLifecycle
import TesseraAdmin
import TesseraCore
import TesseraFetch
import TesseraHTTP
import TesseraPostgres

/// What answers requests, wired in one place for `tessera serve` and for the integration tests, so that what ships
/// is what is tested: the database's clock, the directory cache and its change feed, group commit for tokens,
/// batched lookups, token reuse, the installed grants, the client throttle, readiness, and the router. `serve` adds
/// the listeners, the metrics server and the purge schedule around it.
public struct TokenServer {
    public let router: Router<TesseraRequestContext>
    /// The admin API's own router, for the admin listener (`adminPort`); nil when the public router serves it.
    public let adminRouter: Router<TesseraRequestContext>?
    public let clock: DatabaseClock
    public let directory: CachedClientDirectory
    /// What must run while requests are served, in start order: started before the listeners, stopped after them
    /// (pending token batches are written before the pool stops).
    public let services: [any Service]

    /// - Parameters:
    ///   - client: the database every part uses; `serve` gives a `FailoverClient`.
    ///   - now: the clock tokens are issued, judged and throttled by; the database's (`clock`) unless a test gives
    ///     one it moves.
    public init(
        client: any DatabaseClient, configuration: ServerConfiguration, passwords: any PasswordHasher,
        metrics: (any MetricsFactory)? = nil, logger: Logger, now: (@Sendable () -> Date)? = nil
    ) throws {
        let counting = metrics ?? NOOPMetricsHandler.instance
        let clock = DatabaseClock(client: client, logger: logger)
        let now = now ?? clock.now
        let directory = CachedClientDirectory(source: PostgresClientDirectory(client: client))
        let issuerURL = IssuerURL(base: configuration.publicURL)
        // JWT access tokens need the server key: it seals the tenants' signing keys.
        let signingKeys = configuration.serverKey.map {
            CachedSigningKeys(
                source: PostgresSigningKeys(client: client, serverKey: $0, logger: logger, actor: "server"))
        }
        let tokenStore = GroupCommitTokenStore(client: client, logger: logger, metrics: counting)
        let ledger = BatchedTokenLedger(client: client, logger: logger, metrics: counting)
        let issuer = TokenIssuer(
            store: tokenStore,
            reusable: configuration.serverKey.map {
                ReusableTokens(store: PostgresTokenReuseStore(client: client), sealer: $0)
            },
            jwt: signingKeys.map { JWTAccessTokenFormat(keys: $0, issuer: issuerURL, logger: logger) }, now: now)
        // What clients publish at URLs (jwks_uri, metadata documents), fetched with the fetcher's limits.
        let fetcher = try DocumentFetcher(
            allowedHosts: configuration.fetchAllowedHosts,
            additionalTrustRoots: try Self.fetchTrustRoots(configuration.fetchCAFile))
        var parts = TesseraServer.grantParts(
            issuer: issuer, users: PostgresUserDirectory(client: client), ledger: ledger, passwords: passwords,
            loginThrottle: LoginThrottle(window: configuration.loginThrottleWindow, now: now), client: client,
            directory: directory, issuerURL: issuerURL)
        parts.provide(
            DocumentClients(
                cache: ClientDocumentCache(fetcher: fetcher, logger: logger),
                store: PostgresDocumentClients(client: client), directory: directory),
            as: (any ClientDocumentResolver).self)
        let grants = try InstalledGrants.registry(parts: parts)
        // A batch has 3 s for its connection and 3 s for its statement (5 more to make a missing partition): one
        // held for 15 s is stuck whatever the database says.
        let stalled: Duration = .seconds(15)
        let readiness = DatabaseReadiness(
            client: client, migrations: try Migration.embedded(), logger: logger,
            stalls: [
                ("token writes are not completing", { tokenStore.isStalled(longerThan: stalled) }),
                ("token lookups are not completing", { ledger.isStalled(longerThan: stalled) }),
            ])
        // One count of failed client authentications for the three endpoints that authenticate clients.
        let throttle =
            configuration.clientThrottleWindow > 0
            ? ClientThrottle(window: configuration.clientThrottleWindow, now: now) : nil
        // Each application's tokens and refusals per day, for the console's charts: counted in memory, written in rounds.
        let activity = DailyTokenCounts(client: client, logger: logger, now: now)
        // Keys clients publish at their jwks_uri, fetched with the fetcher's limits and cached.
        let published = PublishedKeySetCache(fetcher: fetcher, logger: logger)
        let assertions = ClientAssertionCheck(
            issuer: issuerURL, ledger: PostgresClientAssertionLedger(client: client), published: published)
        self.router = buildRouter(
            tokenRoutes: TokenRoutes(
                endpoint: TokenEndpoint(
                    directory: directory, grants: grants, throttle: throttle, assertions: assertions,
                    activity: activity, now: now),
                introspection: IntrospectionEndpoint(
                    directory: directory, ledger: ledger, issuer: issuerURL, throttle: throttle,
                    assertions: assertions, now: now),
                revocation: RevocationEndpoint(
                    directory: directory, ledger: ledger, throttle: throttle, assertions: assertions, now: now),
                defaultTenant: configuration.servedDefaultTenant, trustedProxies: configuration.trustedProxies),
            discovery: DiscoveryRoutes(
                directory: directory, issuer: issuerURL, grantTypes: grants.grantTypes, signs: signingKeys != nil,
                endpoints: grants.endpoints),
            grantEndpoints: GrantEndpointRoutes(
                endpoints: grants.endpoints, defaultTenant: configuration.servedDefaultTenant,
                trustedProxies: configuration.trustedProxies,
                secure: configuration.publicURL.lowercased().hasPrefix("https:")),
            keySets: signingKeys.map {
                KeySetRoutes(directory: directory, keys: $0, defaultTenant: configuration.servedDefaultTenant, now: now)
            },
            health: HealthRoutes(readiness: readiness.check),
            metrics: metrics.map { RequestMetrics(factory: $0) })
        let admin = AdminRoutes(
            client: client, directory: directory, ledger: ledger, systemTenant: configuration.adminTenant,
            supportedGrantTypes: InstalledGrants.grantTypes, passwords: passwords,
            serverKey: configuration.serverKey,
            // Where the admin API is: an operator who keeps it on a private listener keeps the console there too.
            console: ConsoleSettings(
                signIn: try parts.require(), sessions: try parts.require((any BrowserSessionStore).self),
                defaultTenant: configuration.defaultTenant, trustedProxies: configuration.trustedProxies,
                // The admin listener is plain HTTP: a Secure cookie would not come back to it.
                secure: configuration.adminPort == 0 && configuration.publicURL.lowercased().hasPrefix("https:")),
            logger: logger, now: now)
        // Clients register themselves on the public listeners, with an initial access token from an administrator
        // or, where a tenant opened it, with none.
        RegistrationRoutes(
            client: client, publicURL: configuration.publicURL, supportedGrantTypes: InstalledGrants.grantTypes,
            trustedProxies: configuration.trustedProxies, logger: logger, now: now
        ).register(on: router)
        // The admin API on the public listeners, or on a listener of its own that alone serves it.
        if configuration.adminPort > 0 {
            let adminRouter = buildRouter(
                tokenRoutes: nil, health: HealthRoutes(readiness: readiness.check),
                metrics: metrics.map { RequestMetrics(factory: $0) })
            try admin.register(on: adminRouter)
            self.adminRouter = adminRouter
        } else {
            try admin.register(on: router)
            self.adminRouter = nil
        }
        self.clock = clock
        self.directory = directory
        self.services = [
            clock, tokenStore, ledger, activity,
            DirectoryChangeFeed(
                client: client, caches: [directory] + (signingKeys.map { [$0] } ?? []), logger: logger),
        ]
    }

    /// The operator's extra CA certificates for fetching what clients publish; a file that cannot be read stops the
    /// start with one line.
    static func fetchTrustRoots(_ path: String?) throws -> [NIOSSLCertificate] {
        guard let path else { return [] }
        do {
            return try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw StartupError("--fetch-ca-file \(path): not a readable PEM file of certificates (\(error))")
        }
    }
}
