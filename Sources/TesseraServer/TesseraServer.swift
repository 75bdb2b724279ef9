import CoreMetrics
import Hummingbird
import HummingbirdTLS
import Logging
import PostgresNIO
import ServiceLifecycle
import TesseraCore
import TesseraHTTP
import TesseraPostgres
import UnixSignals

/// `tessera serve`: the PostgreSQL pool, the directory cache and its change feed, the HTTP and HTTPS listeners,
/// the metrics server and the purge schedule, run as one service group that stops cleanly on SIGTERM or SIGINT.
public enum TesseraServer {
    public static func run(_ configuration: ServerConfiguration, logger: Logger) async throws {
        if await EventLoopExecutor.holdsTheLoop() {
            logger.info("tasks run on the event loops")
        } else {
            logger.warning("tasks do not keep an event loop: each async call may cost a trip through a queue")
        }
        let metrics = configuration.metricsPort > 0 ? ServerMetrics() : nil
        // The pool logs every failed connection attempt at info; keep that out of an info-level log.
        var quieter = logger
        quieter.logLevel = max(logger.logLevel, .notice)
        let poolLogger = quieter
        let connections = configuration.databaseConnections
        let client = FailoverClient(url: configuration.database, logger: logger) { host in
            var clientConfiguration = host.clientConfiguration()
            clientConfiguration.options.maximumConnections = connections
            clientConfiguration.options.minimumConnections = min(2, connections)
            return PostgresClient(configuration: clientConfiguration, backgroundLogger: poolLogger)
        }

        let passwords = BcryptPasswordHasher(
            cost: configuration.passwordCost, threads: configuration.passwordThreads,
            queueLimit: configuration.passwordQueue, cpuGroup: passwordCPUGroup(configuration, logger: logger),
            logger: logger)
        var configuration = configuration
        if configuration.serverKey == nil {
            configuration.serverKey = storedServerKey(in: configuration.dataDirectory, logger: logger)
        }
        let server = try TokenServer(
            client: client, configuration: configuration, passwords: passwords, metrics: metrics?.factory,
            logger: logger)
        // Tokens are issued, judged and purged by the database's clock, the one revocations are dated by.
        let clock = server.clock
        let purge =
            configuration.purgeInterval > 0
            ? [
                PurgeSchedule(
                    partitions: TokenPartitions(client: client, logger: logger),
                    interval: .seconds(configuration.purgeInterval), logger: logger, now: clock.now)
            ] : []
        // Signing keys rotate and expire on every instance that can seal them (each change under a tenant lock).
        let keySchedule = configuration.serverKey.map {
            [
                SigningKeySchedule(
                    keys: PostgresSigningKeys(client: client, serverKey: $0, logger: logger, actor: "schedule"),
                    rotationPeriod: Double(configuration.keyRotationDays * 86_400), logger: logger,
                    now: clock.now)
            ]
        }
        let metricsServer = metrics.map {
            [$0.server(host: configuration.host, port: configuration.metricsPort, logger: logger)]
        }
        var (listeners, addresses) = try Self.listeners(
            configuration, responder: server.router.buildResponder(), logger: logger)
        if let adminRouter = server.adminRouter {
            listeners.append(
                Application(
                    responder: adminRouter.buildResponder(),
                    server: .guardedHTTP1(
                        limits: configuration.connectionLimits,
                        registry: ConnectionRegistry(maximum: configuration.connectionLimits.maximumConnections)),
                    configuration: .init(
                        address: .hostname(configuration.adminHost, port: configuration.adminPort), serverName: nil),
                    logger: logger))
            addresses.append("http://\(configuration.adminHost):\(configuration.adminPort) (admin API)")
        }
        let serving: Logger.Metadata = ["address": .array(addresses.map { .string($0) })]
        let database = configuration.database
        // Metrics before the public listeners, so that scrapes still work while those drain.
        let gated = GatedServices(
            services: purge + (keySchedule ?? []) + (metricsServer ?? []) + listeners, logger: logger
        ) {
            try await Self.requireCurrentSchema(client: client, database: database, logger: logger)
            do {
                try await clock.synchronize()
                logger.info("the database's clock is read", metadata: ["offset_seconds": "\(clock.measuredOffset)"])
            } catch {
                logger.notice("the database's clock was not read; this machine's is used until it is")
            }
            // Today's and the next days' token partitions, whatever the purge interval: the first tokens then
            // never wait for one to be made.
            do {
                try await TokenPartitions(client: client, logger: logger).prepare(now: clock.now())
            } catch {
                logger.notice("token partitions not prepared; they are made on demand", metadata: ["error": "\(error)"])
            }
            logger.info("tessera is serving", metadata: serving)
        }
        // Stopped in reverse order: the gated services first, then pending token batches, then the pool. A failed
        // start stops the others gracefully too, so that the one line saying why is all the operator reads.
        let services: [any Service] = [client] + server.services
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }
                + [
                    .init(service: gated, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: ShutdownWatchdog(grace: configuration.shutdownGrace, logger: logger)),
                ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past the grace, what is still running is cancelled; the watchdog exits should that not end it either.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGrace
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            await passwords.shutdown()
            throw error
        }
        await passwords.shutdown()
    }

    /// Without a key from the operator, the one kept in the data directory, said at start since every instance
    /// behind one load balancer needs the same key. Nil (token reuse off, no JWT signing) when it cannot be kept.
    static func storedServerKey(in directory: String, logger: Logger) -> ServerKey? {
        do {
            let (key, created) = try ServerKey.stored(in: directory)
            logger.notice(
                created ? "created a server key for this machine" : "using this machine's server key",
                metadata: [
                    "file": "\(directory)/\(ServerKey.fileName)",
                    "note": "instances behind one load balancer must share a key: set TESSERA_KEY on each",
                ])
            return key
        } catch {
            logger.warning(
                "no server key: token reuse is off and JWT access tokens cannot be signed",
                metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// What the installed grants build themselves from (`InstalledGrants`).
    public static func grantParts(
        issuer: TokenIssuer, users: any UserDirectory, ledger: any TokenLedger, passwords: any PasswordHasher,
        loginThrottle: LoginThrottle, client: any DatabaseClient, directory: any ClientDirectory,
        issuerURL: IssuerURL
    ) -> ServerParts {
        var parts = ServerParts()
        parts.provide(issuer)
        parts.provide(users, as: (any UserDirectory).self)
        parts.provide(ledger, as: (any TokenLedger).self)
        parts.provide(passwords, as: (any PasswordHasher).self)
        parts.provide(loginThrottle)
        parts.provide(UserSignIn(users: users, passwords: passwords, throttle: loginThrottle))
        parts.provide(directory, as: (any ClientDirectory).self)
        parts.provide(issuerURL)
        // The authorization code grant's: its codes, the browser sessions and consents of its pages, the resources
        // a user may consent to.
        parts.provide(PostgresAuthorizationCodes(client: client), as: (any AuthorizationCodeStore).self)
        parts.provide(PostgresBrowserSessions(client: client), as: (any BrowserSessionStore).self)
        parts.provide(PostgresConsents(client: client), as: (any ConsentStore).self)
        parts.provide(PostgresProtectedResources(client: client), as: (any ProtectedResourceDirectory).self)
        return parts
    }

    /// The hashing threads' idle CPU cgroup, if `--password-cgroup auto` and the process may make one.
    static func passwordCPUGroup(_ configuration: ServerConfiguration, logger: Logger) -> IdleCPUGroup? {
        guard configuration.passwordCPUGroup == .auto else { return nil }
        switch IdleCPUGroup.create() {
        case .success(let group):
            logger.info("password hashing runs in an idle CPU cgroup", metadata: ["cgroup": "\(group.path)"])
            return group
        case .failure(let reason):
            logger.info(
                "password hashing runs under SCHED_IDLE without an idle CPU cgroup", metadata: ["reason": "\(reason)"])
            return nil
        }
    }

    /// Plain HTTP on `port` and HTTPS on `httpsPort`, each unless 0, both serving the one router.
    static func listeners<Responder: HTTPResponder>(
        _ configuration: ServerConfiguration, responder: Responder, logger: Logger
    ) throws -> (listeners: [any Service], addresses: [String])
    where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        var listeners: [any Service] = []
        var addresses: [String] = []
        var limits = configuration.connectionLimits
        let descriptors = DescriptorLimit.raise()
        let affordable = DescriptorLimit.connectionsPerListener(
            limit: descriptors, listeners: (configuration.port > 0 ? 1 : 0) + (configuration.httpsPort > 0 ? 1 : 0),
            databaseConnections: configuration.databaseConnections)
        if limits.maximumConnections > affordable {
            logger.notice(
                "fewer connections per listener than asked: the open-file limit allows no more",
                metadata: [
                    "asked": "\(limits.maximumConnections)", "allowed": "\(affordable)", "open_files": "\(descriptors)",
                ])
            limits.maximumConnections = affordable
        }
        if configuration.port > 0 {
            listeners.append(
                Application(
                    responder: responder,
                    server: .guardedHTTP1(
                        limits: limits, registry: ConnectionRegistry(maximum: limits.maximumConnections)),
                    configuration: .init(
                        address: .hostname(configuration.host, port: configuration.port), serverName: nil),
                    logger: logger))
            addresses.append("http://\(configuration.host):\(configuration.port)")
        }
        if configuration.httpsPort > 0 {
            let identity =
                try configuration.tlsFiles.map { try TLSIdentity.load(certificate: $0.certificate, key: $0.key) }
                ?? TLSIdentity.selfSigned(in: configuration.dataDirectory, logger: logger)
            listeners.append(
                Application(
                    responder: responder,
                    server: try .tls(
                        .guardedHTTP1(limits: limits, registry: ConnectionRegistry(maximum: limits.maximumConnections)),
                        tlsConfiguration: identity.serverConfiguration()),
                    configuration: .init(
                        address: .hostname(configuration.host, port: configuration.httpsPort), serverName: nil),
                    logger: logger))
            addresses.append("https://\(configuration.host):\(configuration.httpsPort)")
        }
        guard !listeners.isEmpty else { throw StartupError("nothing to serve: the HTTP and HTTPS ports are both 0") }
        return (listeners, addresses)
    }

    /// The server never changes the schema; it refuses to start on a database `tessera migrate` has not brought up to date.
    static func requireCurrentSchema(client: FailoverClient, database: DatabaseURL, logger: Logger) async throws {
        let status: MigrationRunner.Status
        do {
            try await client.probe(logger: logger)
            let runner = MigrationRunner(migrations: try Migration.embedded())
            status = try await PostgresAvailability.run(deadline: .seconds(10)) {
                try await runner.status(client: client, logger: logger)
            }
        } catch {
            throw StartupError(DatabaseErrorMessage.describe(error, url: database))
        }
        if !status.modified.isEmpty {
            throw StartupError(
                "applied migration \(status.modified.joined(separator: ", ")) differs from this build's file")
        }
        if !status.pending.isEmpty {
            throw StartupError(
                "the database at \(database) is not migrated (\(status.pending.count) pending); run `tessera migrate` first"
            )
        }
        if !status.unknownVersions.isEmpty {
            logger.warning(
                "the database has migrations newer than this build", metadata: ["versions": "\(status.unknownVersions)"]
            )
        }
    }
}

/// Why the server would not start, in one line.
public struct StartupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
