import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraHTTP
import TesseraPostgres
import TesseraServer

extension ServeCommand {
    /// What `serve` runs with: each value from its option, else its environment variable, else its default.
    struct Settings {
        var configuration: ServerConfiguration
        var level: Logger.Level
        var format: LogFormat
    }

    func settings(environment: [String: String]) throws -> Settings {
        let source = SettingSource(environment: environment)
        let port = try source.integer(port, "TESSERA_PORT", default: 8280)
        let httpsPort = try source.integer(httpsPort, "TESSERA_HTTPS_PORT", default: 8243)
        let metricsPort = try source.integer(metricsPort, "TESSERA_METRICS_PORT", default: 9090)
        let adminPort = try source.integer(adminPort, "TESSERA_ADMIN_PORT", default: 0)
        guard [port, httpsPort, metricsPort, adminPort].allSatisfy((0...65535).contains) else {
            throw CommandFailure("ports must be between 0 (off) and 65535")
        }
        guard port > 0 || httpsPort > 0 else {
            throw CommandFailure("nothing to serve: --port and --https-port are both 0")
        }
        let listening = [port, httpsPort, metricsPort, adminPort].filter { $0 > 0 }
        guard Set(listening).count == listening.count else {
            throw CommandFailure("the HTTP, HTTPS, metrics and admin ports must differ")
        }
        let connections = try source.integer(databaseConnections, "TESSERA_DATABASE_CONNECTIONS", default: 16)
        guard (1...1000).contains(connections) else {
            throw CommandFailure("the database connections must be between 1 and 1000")
        }
        let databaseURL = try database.databaseURL()
        var configuration = ServerConfiguration(
            host: host ?? environment["TESSERA_HOST"] ?? "127.0.0.1",
            port: port,
            defaultTenant: defaultTenant ?? environment["TESSERA_DEFAULT_TENANT"],
            database: databaseURL,
            databaseConnections: connections
        )
        let admin = adminTenant ?? environment["TESSERA_ADMIN_TENANT"] ?? ServerConfiguration.defaultAdminTenant
        guard let adminDomain = Tenant.normalizedDomain(admin) else {
            throw CommandFailure("the admin tenant must be a domain: letters, digits, hyphens and dots")
        }
        configuration.adminTenant = adminDomain
        configuration.httpsPort = httpsPort
        configuration.metricsPort = metricsPort
        configuration.adminPort = adminPort
        configuration.adminHost = adminHost ?? environment["TESSERA_ADMIN_HOST"] ?? configuration.adminHost
        switch (tlsCertificate ?? environment["TESSERA_TLS_CERT"], tlsKey ?? environment["TESSERA_TLS_KEY"]) {
        case (let certificate?, let key?): configuration.tlsFiles = (certificate, key)
        case (nil, nil): break
        default: throw CommandFailure("--tls-cert and --tls-key go together")
        }
        configuration.dataDirectory = serverKey.dataDirectory(environment)

        configuration.passwordCost = try source.integer(passwordCost, "TESSERA_PASSWORD_COST", default: 12)
        configuration.passwordThreads = try source.integer(
            passwordThreads, "TESSERA_PASSWORD_THREADS",
            default: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))
        configuration.passwordQueue = try source.integer(passwordQueue, "TESSERA_PASSWORD_QUEUE", default: 64)
        let window = try source.integer(loginThrottleWindow, "TESSERA_LOGIN_THROTTLE_WINDOW", default: 900)
        guard (4...31).contains(configuration.passwordCost) else {
            throw CommandFailure("the password cost must be between 4 and 31")
        }
        guard (1...256).contains(configuration.passwordThreads), (0...100_000).contains(configuration.passwordQueue),
            (1...86_400).contains(window)
        else {
            throw CommandFailure("password threads must be 1 to 256, queue 0 to 100000, throttle window 1 to 86400 s")
        }
        configuration.loginThrottleWindow = Double(window)
        let clientWindow = try source.integer(
            clientThrottleWindow, "TESSERA_CLIENT_THROTTLE_WINDOW", default: Int(configuration.clientThrottleWindow))
        guard (0...86_400).contains(clientWindow) else {
            throw CommandFailure("the client throttle window must be 0 (off) to 86400 s")
        }
        configuration.clientThrottleWindow = Double(clientWindow)
        do {
            configuration.trustedProxies = try TrustedProxies(
                parsing: trustedProxies ?? environment["TESSERA_TRUSTED_PROXIES"] ?? "")
        } catch {
            throw CommandFailure("--trusted-proxies: \(error)")
        }
        let hosts = (fetchAllowedHosts ?? environment["TESSERA_FETCH_ALLOWED_HOSTS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        guard hosts.count <= 100, hosts.allSatisfy({ $0.utf8.count <= 253 && !$0.contains(where: \.isWhitespace) })
        else { throw CommandFailure("--fetch-allowed-hosts: at most 100 host names or addresses, comma-separated") }
        configuration.fetchAllowedHosts = Set(hosts)
        configuration.fetchCAFile = fetchCaFile ?? environment["TESSERA_FETCH_CA_FILE"]
        configuration.passwordCPUGroup = try source.value(passwordCgroup, "TESSERA_PASSWORD_CGROUP", default: .auto)

        if let url = publicURL ?? environment["TESSERA_PUBLIC_URL"] {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.utf8.count <= 2048,
                !url.contains(where: { $0.isWhitespace })
            else { throw CommandFailure("the public URL must be an http:// or https:// URL") }
            configuration.publicURL = url
        }
        configuration.serverKey = try serverKey.givenKey(environment)
        configuration.keyRotationDays = try source.integer(
            keyRotationDays, "TESSERA_KEY_ROTATION_DAYS", default: configuration.keyRotationDays)
        guard (0...3650).contains(configuration.keyRotationDays) else {
            throw CommandFailure("the key rotation must be between 0 (manual) and 3650 days")
        }
        configuration.purgeInterval = try source.integer(purgeInterval, "TESSERA_PURGE_INTERVAL", default: 3600)
        guard (0...604_800).contains(configuration.purgeInterval) else {
            throw CommandFailure("the purge interval must be between 0 and 604800 seconds")
        }
        configuration.connectionLimits = try connectionLimits(source)
        let grace = try source.integer(shutdownGrace, "TESSERA_SHUTDOWN_GRACE", default: 10)
        guard (1...3600).contains(grace) else { throw CommandFailure("the shutdown grace must be 1 to 3600 seconds") }
        configuration.shutdownGrace = .seconds(grace)
        return Settings(
            configuration: configuration,
            level: try source.value(logLevel, "TESSERA_LOG_LEVEL", default: .info),
            format: try source.value(logFormat, "TESSERA_LOG_FORMAT", default: .text))
    }
}

extension ServeCommand {
    func connectionLimits(_ source: SettingSource) throws -> ConnectionLimits {
        var limits = ConnectionLimits()
        let idle = try source.integer(idleTimeout, "TESSERA_IDLE_TIMEOUT", default: 75)
        let header = try source.integer(headerTimeout, "TESSERA_HEADER_TIMEOUT", default: 10)
        let body = try source.integer(bodyTimeout, "TESSERA_BODY_TIMEOUT", default: 10)
        guard [idle, header, body].allSatisfy((1...3600).contains) else {
            throw CommandFailure("the idle, header and body timeouts must be 1 to 3600 seconds")
        }
        limits.idleTimeout = .seconds(idle)
        limits.headerTimeout = .seconds(header)
        limits.bodyTimeout = .seconds(body)
        limits.minimumBodyRate = try source.integer(minimumBodyRate, "TESSERA_MINIMUM_BODY_RATE", default: 4096)
        limits.maximumConnections = try source.integer(maxConnections, "TESSERA_MAX_CONNECTIONS", default: 4096)
        guard (1...100_000_000).contains(limits.minimumBodyRate), (1...1_000_000).contains(limits.maximumConnections)
        else {
            throw CommandFailure("the minimum body rate must be at least 1 byte/s and the connections 1 to 1000000")
        }
        return limits
    }
}

/// An option's value, else its environment variable's, else the default. A variable that does not parse is an
/// error naming it, never a silent default.
struct SettingSource {
    let environment: [String: String]

    func integer(_ option: Int?, _ variable: String, default value: Int) throws -> Int {
        if let option { return option }
        guard let text = environment[variable] else { return value }
        guard let number = Int(text) else { throw CommandFailure("\(variable) must be a whole number") }
        return number
    }

    func value<Value: ExpressibleByArgument & CaseIterable>(_ option: Value?, _ variable: String, default value: Value)
        throws -> Value
    {
        if let option { return option }
        guard let text = environment[variable] else { return value }
        guard let parsed = Value(argument: text) else {
            let allowed = Value.allCases.map { "\($0)" }.joined(separator: ", ")
            throw CommandFailure("\(variable) must be one of \(allowed), not \(text)")
        }
        return parsed
    }
}
