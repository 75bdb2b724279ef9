import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=...` URL, as in `DATABASE_URL`.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String
    let password: String?
    public let database: String
    public let sslMode: SSLMode

    /// libpq's `sslmode`, the values that make sense for a server: no TLS, TLS when offered, TLS or fail.
    public enum SSLMode: String, Sendable {
        case disable, prefer, require
    }

    public init(_ text: String) throws(DatabaseURLError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
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
        var sslMode = SSLMode.prefer
        for item in url.queryItems ?? [] where item.name == "sslmode" {
            guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                throw DatabaseURLError("sslmode must be disable, prefer or require")
            }
            sslMode = mode
        }
        if host == "localhost" || host == "127.0.0.1" || host == "::1",
            url.queryItems?.contains(where: { $0.name == "sslmode" }) != true
        {
            sslMode = .disable
        }
        self.host = host
        self.port = url.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        self.password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
    }

    /// The URL without its password, for messages and logs.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

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
}

/// A database URL that cannot be used, said in one line.
public struct DatabaseURLError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
