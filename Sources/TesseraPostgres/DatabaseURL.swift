import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=...` URL, as in `DATABASE_URL`. As with libpq, the
/// host may be a list (`h1:5432,h2:5432`) with `target_session_attrs=read-write`: the first host that takes
/// writes is the one used (`DatabaseProbe.locate`), which is how clients find the primary of a
/// high-availability pair such as pg_auto_failover's.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    /// One host of the URL.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public let host: String
        public let port: Int
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Every host, in the URL's order.
    public let endpoints: [Endpoint]
    public var host: String { endpoints[0].host }
    public var port: Int { endpoints[0].port }
    public let username: String
    let password: String?
    public let database: String
    public let sslMode: SSLMode
    public private(set) var targetSessionAttributes: TargetSessionAttributes

    /// libpq's `sslmode`, the values that make sense for a server: no TLS, TLS when offered, TLS or fail.
    public enum SSLMode: String, Sendable {
        case disable, prefer, require
    }

    /// libpq's `target_session_attrs`, the values that make sense for a server that writes: any host, or only one
    /// that takes writes (`read-write`; `primary` is taken as the same).
    public enum TargetSessionAttributes: String, Sendable {
        case any
        case readWrite = "read-write"
    }

    public init(_ text: String) throws(DatabaseURLError) {
        // URLComponents takes one host: the list is read here, and the URL parsed with its first host alone.
        let (single, hostList) = Self.splittingHosts(text)
        guard let url = URLComponents(string: single), let scheme = url.scheme,
            ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw DatabaseURLError("the database URL must look like postgres://user:password@host:5432/database")
        }
        guard let host = url.host, !host.isEmpty else { throw DatabaseURLError("the database URL has no host") }
        guard let username = url.user, !username.isEmpty else {
            throw DatabaseURLError("the database URL has no user name")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw DatabaseURLError("the database URL has no database name") }
        var endpoints = [Endpoint(host: host, port: url.port ?? 5432)]
        if let hostList {
            endpoints = try hostList.map(Self.endpoint)
        }
        var sslMode = SSLMode.prefer
        var sessionAttributes = TargetSessionAttributes.any
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw DatabaseURLError("sslmode must be disable, prefer or require")
                }
                sslMode = mode
            case "target_session_attrs":
                let value = item.value == "primary" ? "read-write" : item.value
                guard let attributes = value.flatMap(TargetSessionAttributes.init(rawValue:)) else {
                    throw DatabaseURLError("target_session_attrs must be any, read-write or primary")
                }
                sessionAttributes = attributes
            default:
                break
            }
        }
        let loopback = ["localhost", "127.0.0.1", "::1"]
        if endpoints.allSatisfy({ loopback.contains($0.host) }),
            url.queryItems?.contains(where: { $0.name == "sslmode" }) != true
        {
            sslMode = .disable
        }
        self.endpoints = endpoints
        self.username = username.removingPercentEncoding ?? username
        self.password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
        self.targetSessionAttributes = sessionAttributes
    }

    private init(_ url: DatabaseURL, endpoint: Endpoint) {
        self.endpoints = [endpoint]
        self.username = url.username
        self.password = url.password
        self.database = url.database
        self.sslMode = url.sslMode
        self.targetSessionAttributes = url.targetSessionAttributes
    }

    /// The same URL asking for a host that takes writes (`target_session_attrs=read-write`).
    public var readWrite: DatabaseURL {
        var url = self
        url.targetSessionAttributes = .readWrite
        return url
    }

    /// The same URL with one of its hosts only.
    public func only(_ endpoint: Endpoint) -> DatabaseURL { DatabaseURL(self, endpoint: endpoint) }

    /// The URL without its password, for messages and logs.
    public var description: String {
        "postgres://\(username)@\(endpoints.map(\.description).joined(separator: ","))/\(database)"
    }

    /// The pool's configuration for the first host.
    public func clientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// `text` with its host list (if it has one with several hosts) replaced by the first host, and the list.
    private static func splittingHosts(_ text: String) -> (String, [Substring]?) {
        guard let schemeEnd = text.range(of: "://") else { return (text, nil) }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let hostsStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let hosts = authority[hostsStart...]
        guard hosts.contains(",") else { return (text, nil) }
        let list = hosts.split(separator: ",", omittingEmptySubsequences: false)
        return (String(text[..<hostsStart]) + list[0] + text[authorityEnd...], list)
    }

    private static func endpoint(_ text: Substring) throws(DatabaseURLError) -> Endpoint {
        var host = text
        var port = 5432
        if let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") {
            guard let number = Int(text[text.index(after: colon)...]), (1...65535).contains(number) else {
                throw DatabaseURLError("the database URL has a bad port in \(text)")
            }
            host = text[..<colon]
            port = number
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw DatabaseURLError("the database URL has an empty host in its list") }
        return Endpoint(host: String(host), port: port)
    }
}

/// A database URL that cannot be used, said in one line.
public struct DatabaseURLError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
