import ArgumentParser
import Foundation
import Logging
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

    @Option(
        help: ArgumentHelp(
            "Directory for the self-signed certificate (env: TESSERA_DATA_DIR; default .tessera in the working directory).",
            valueName: "directory"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Tenant that POST /token serves (env: TESSERA_DEFAULT_TENANT).", valueName: "domain"))
    var defaultTenant: String?

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
            "Longest lock-out of a username after failed sign-ins, seconds (env: TESSERA_LOGIN_THROTTLE_WINDOW; default 900)."
    )
    var loginThrottleWindow: Int?

    @Option(
        help: ArgumentHelp(
            "Public base URL; each tenant's issuer is <url>/t/<tenant> (env: TESSERA_PUBLIC_URL; default http://localhost:<port>).",
            valueName: "url"))
    var publicURL: String?

    @Option(help: "Seconds between purges of expired tokens, 0 for none (env: TESSERA_PURGE_INTERVAL; default 3600).")
    var purgeInterval: Int?

    @Option(help: "Port of the Prometheus GET /metrics server, 0 for none (env: TESSERA_METRICS_PORT; default 9090).")
    var metricsPort: Int?

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = try port ?? Self.integer(environment["TESSERA_PORT"], name: "TESSERA_PORT") ?? 8280
        let connections =
            try databaseConnections
            ?? Self.integer(environment["TESSERA_DATABASE_CONNECTIONS"], name: "TESSERA_DATABASE_CONNECTIONS") ?? 16
        let httpsPort =
            try httpsPort ?? Self.integer(environment["TESSERA_HTTPS_PORT"], name: "TESSERA_HTTPS_PORT") ?? 8243
        guard (0...65535).contains(port), (0...65535).contains(httpsPort) else {
            throw CommandFailure("ports must be between 0 (off) and 65535")
        }
        guard port > 0 || httpsPort > 0 else {
            throw CommandFailure("nothing to serve: --port and --https-port are both 0")
        }
        guard (1...1000).contains(connections) else {
            throw CommandFailure("the database connections must be between 1 and 1000")
        }
        let level =
            try logLevel ?? environment["TESSERA_LOG_LEVEL"].map {
                guard let level = Logger.Level(rawValue: $0) else {
                    throw CommandFailure("TESSERA_LOG_LEVEL: unknown level \($0)")
                }
                return level
            } ?? .info
        let format =
            try logFormat ?? environment["TESSERA_LOG_FORMAT"].map {
                guard let format = LogFormat(rawValue: $0) else {
                    throw CommandFailure("TESSERA_LOG_FORMAT: unknown format \($0), expected text or json")
                }
                return format
            } ?? .text
        var configuration = ServerConfiguration(
            host: host ?? environment["TESSERA_HOST"] ?? "127.0.0.1",
            port: port,
            defaultTenant: defaultTenant ?? environment["TESSERA_DEFAULT_TENANT"],
            database: try database.databaseURL(),
            databaseConnections: connections
        )
        configuration.passwordCost =
            try passwordCost ?? Self.integer(environment["TESSERA_PASSWORD_COST"], name: "TESSERA_PASSWORD_COST") ?? 12
        configuration.passwordThreads =
            try passwordThreads ?? Self.integer(
                environment["TESSERA_PASSWORD_THREADS"], name: "TESSERA_PASSWORD_THREADS")
            ?? max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
        configuration.passwordQueue =
            try passwordQueue ?? Self.integer(environment["TESSERA_PASSWORD_QUEUE"], name: "TESSERA_PASSWORD_QUEUE")
            ?? 64
        let window =
            try loginThrottleWindow
            ?? Self.integer(environment["TESSERA_LOGIN_THROTTLE_WINDOW"], name: "TESSERA_LOGIN_THROTTLE_WINDOW") ?? 900
        guard (4...31).contains(configuration.passwordCost) else {
            throw CommandFailure("the password cost must be between 4 and 31")
        }
        guard (1...256).contains(configuration.passwordThreads), (0...100_000).contains(configuration.passwordQueue),
            (1...86_400).contains(window)
        else {
            throw CommandFailure("password threads must be 1 to 256, queue 0 to 100000, throttle window 1 to 86400 s")
        }
        configuration.loginThrottleWindow = Double(window)
        if let url = publicURL ?? environment["TESSERA_PUBLIC_URL"] {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.utf8.count <= 2048,
                !url.contains(where: { $0.isWhitespace })
            else { throw CommandFailure("the public URL must be an http:// or https:// URL") }
            configuration.publicURL = url
        }
        configuration.purgeInterval =
            try purgeInterval ?? Self.integer(environment["TESSERA_PURGE_INTERVAL"], name: "TESSERA_PURGE_INTERVAL")
            ?? 3600
        guard (0...604_800).contains(configuration.purgeInterval) else {
            throw CommandFailure("the purge interval must be between 0 and 604800 seconds")
        }
        configuration.metricsPort =
            try metricsPort ?? Self.integer(environment["TESSERA_METRICS_PORT"], name: "TESSERA_METRICS_PORT") ?? 9090
        guard (0...65535).contains(configuration.metricsPort) else {
            throw CommandFailure("the metrics port must be between 0 (off) and 65535")
        }
        let listening = [port, httpsPort, configuration.metricsPort].filter { $0 > 0 }
        guard Set(listening).count == listening.count else {
            throw CommandFailure("the HTTP, HTTPS and metrics ports must differ")
        }
        configuration.httpsPort = httpsPort
        switch (tlsCertificate ?? environment["TESSERA_TLS_CERT"], tlsKey ?? environment["TESSERA_TLS_KEY"]) {
        case (let certificate?, let key?): configuration.tlsFiles = (certificate, key)
        case (nil, nil): break
        default: throw CommandFailure("--tls-cert and --tls-key go together")
        }
        configuration.dataDirectory = dataDir ?? environment["TESSERA_DATA_DIR"] ?? ".tessera"
        do {
            try await TesseraServer.run(configuration, logger: format.logger(level: level))
        } catch let error as StartupError {
            throw CommandFailure(error.description)
        }
    }

    private static func integer(_ value: String?, name: String) throws -> Int? {
        guard let value else { return nil }
        guard let number = Int(value) else { throw CommandFailure("\(name) must be a whole number") }
        return number
    }
}
