import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// One connection outside the pool, opened and closed at start-up. The pool retries a refused login or a missing
/// database quietly until its deadline and then says only that the database did not answer; a single connection
/// says at once what is wrong ("database "x" does not exist", "password authentication failed").
public enum DatabaseProbe {
    public static func connect(_ url: DatabaseURL, logger: Logger) async throws {
        let tls: PostgresConnection.Configuration.TLS =
            switch url.sslMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        try await connection.close()
    }
}
