import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the token endpoint: POST /t/<tenant>/token, and POST /token for the default tenant.",
        discussion: "Every option can also be set with the environment variable named in its help."
    )

    @Option(help: "Address to listen on (env: TESSERA_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Plain HTTP port, 0 for none (env: TESSERA_PORT; default 8280).")
    var port: Int?

    @Option(help: "HTTPS port serving the same routes, 0 for none (env: TESSERA_HTTPS_PORT; default 8243).")
    var httpsPort: Int?

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp(
            "PEM certificate chain for HTTPS (env: TESSERA_TLS_CERT; default: a self-signed one in the data directory).",
            valueName: "file"))
    var tlsCertificate: String?

    @Option(
        name: .customLong("tls-key"),
        help: ArgumentHelp("PEM private key of --tls-cert (env: TESSERA_TLS_KEY).", valueName: "file"))
    var tlsKey: String?

    @OptionGroup var serverKey: ServerKeyOptions

    @Option(help: ArgumentHelp("Tenant that POST /token serves (env: TESSERA_DEFAULT_TENANT).", valueName: "domain"))
    var defaultTenant: String?

    @Option(
        help: ArgumentHelp(
            "The system tenant, whose clients with scope tessera:admin administer every tenant (env: TESSERA_ADMIN_TENANT; default system); POST /token serves it when no default tenant is set.",
            valueName: "domain"))
    var adminTenant: String?

    @Option(help: "PostgreSQL connections in the pool (env: TESSERA_DATABASE_CONNECTIONS; default 16).")
    var databaseConnections: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env: TESSERA_LOG_LEVEL; default info).")
    var logLevel: Logger.Level?

    @Option(help: "text, or json for one JSON object a line (env: TESSERA_LOG_FORMAT; default text).")
    var logFormat: LogFormat?

    @Option(help: "bcrypt cost of new password hashes (env: TESSERA_PASSWORD_COST; default 12).")
    var passwordCost: Int?

    @Option(help: "Threads that hash passwords (env: TESSERA_PASSWORD_THREADS; default half the cores).")
    var passwordThreads: Int?

    @Option(help: "Sign-ins waiting for a hashing thread before 503 (env: TESSERA_PASSWORD_QUEUE; default 64).")
    var passwordQueue: Int?

    @Option(
        help:
            "auto puts the hashing threads in an idle CPU cgroup where the process may make one, off never (env: TESSERA_PASSWORD_CGROUP; default auto)."
    )
    var passwordCgroup: PasswordCPUGroup?

    @Option(
        help:
            "Longest lock-out of a username after failed sign-ins, seconds (env: TESSERA_LOGIN_THROTTLE_WINDOW; default 900)."
    )
    var loginThrottleWindow: Int?

    @Option(
        help:
            "Longest wait failed client authentications impose on a client or an address, seconds; 0 turns it off (env: TESSERA_CLIENT_THROTTLE_WINDOW; default 60)."
    )
    var clientThrottleWindow: Int?

    @Option(
        help: ArgumentHelp(
            "Comma-separated proxy addresses or networks (10.0.0.0/8) whose X-Forwarded-For names the client (env: TESSERA_TRUSTED_PROXIES; default none).",
            valueName: "addresses"))
    var trustedProxies: String?

    @Option(
        help: ArgumentHelp(
            "Public base URL; each tenant's issuer is <url>/t/<tenant> (env: TESSERA_PUBLIC_URL; default http://localhost:<port>, or https://localhost:<https-port> without plain HTTP).",
            valueName: "url"))
    var publicURL: String?

    @Option(help: "Seconds between purges of expired tokens, 0 for none (env: TESSERA_PURGE_INTERVAL; default 3600).")
    var purgeInterval: Int?

    @Option(
        help:
            "Days a tenant's JWT signing key signs before the servers rotate it, 0 for manual rotation only (env: TESSERA_KEY_ROTATION_DAYS; default 90)."
    )
    var keyRotationDays: Int?

    @Option(
        help: ArgumentHelp(
            "Port of a plain-HTTP listener of the admin API's own, which the public listeners then do not serve; 0 to serve /admin/v1/ on the public listeners (env: TESSERA_ADMIN_PORT; default 0).",
            valueName: "port"))
    var adminPort: Int?

    @Option(
        help: ArgumentHelp(
            "Address the admin listener binds (env: TESSERA_ADMIN_HOST; default 127.0.0.1).", valueName: "address"))
    var adminHost: String?

    @Option(
        help: ArgumentHelp(
            "Comma-separated hosts the server may fetch what clients publish (jwks_uri) from although they resolve to a loopback, private or link-local address, over plain http too: for development and tests only (env: TESSERA_FETCH_ALLOWED_HOSTS; default none).",
            valueName: "hosts"))
    var fetchAllowedHosts: String?

    @Option(
        help: ArgumentHelp(
            "A PEM file of CA certificates trusted, beside the system's, for fetching what clients publish (env: TESSERA_FETCH_CA_FILE; default none).",
            valueName: "file"))
    var fetchCaFile: String?

    @Option(help: "Port of the Prometheus GET /metrics server, 0 for none (env: TESSERA_METRICS_PORT; default 9090).")
    var metricsPort: Int?

    @Option(
        help:
            "Seconds a connection with no request in progress stays open (env: TESSERA_IDLE_TIMEOUT; default 75).")
    var idleTimeout: Int?

    @Option(
        help:
            "Seconds from a request's first byte to the end of its headers (env: TESSERA_HEADER_TIMEOUT; default 10).")
    var headerTimeout: Int?

    @Option(help: "Longest pause, seconds, while a request body arrives (env: TESSERA_BODY_TIMEOUT; default 10).")
    var bodyTimeout: Int?

    @Option(
        help:
            "Bytes per second a request body must average, over and above the body timeout (env: TESSERA_MINIMUM_BODY_RATE; default 4096)."
    )
    var minimumBodyRate: Int?

    @Option(
        help:
            "Open connections per listener; at the limit the longest-idle one makes room (env: TESSERA_MAX_CONNECTIONS; default 4096, lowered to what the descriptor limit allows)."
    )
    var maxConnections: Int?

    @Option(
        help:
            "Seconds after SIGTERM for requests already received before the process exits regardless (env: TESSERA_SHUTDOWN_GRACE; default 10)."
    )
    var shutdownGrace: Int?

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let settings = try settings(environment: ProcessInfo.processInfo.environment)
        do {
            try await TesseraServer.run(settings.configuration, logger: settings.format.logger(level: settings.level))
        } catch let error as StartupError {
            throw CommandFailure(error.description)
        }
    }
}
