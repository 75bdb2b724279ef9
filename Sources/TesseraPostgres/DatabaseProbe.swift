import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// One connection outside the pool, opened and closed at start-up. The pool retries a refused login or a missing
/// database quietly until its deadline and then says only that the database did not answer; a single connection
/// says at once what is wrong ("database "x" does not exist", "password authentication failed").
public enum DatabaseProbe {
    /// The URL narrowed to the host to use: the first that answers, or with `target_session_attrs=read-write` the
    /// first that takes writes (libpq's order). Throws the last host's error when none will do.
    public static func locate(_ url: DatabaseURL, logger: Logger) async throws -> DatabaseURL {
        var failure: (any Error)?
        for endpoint in url.endpoints {
            let candidate = url.only(endpoint)
            do {
                let connection = try await open(candidate, logger: logger)
                var readOnly = false
                if url.targetSessionAttributes == .readWrite {
                    do {
                        readOnly = try await ReadOnlyCheck.isReadOnly(
                            connection.query(ReadOnlyCheck.query, logger: logger))
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                }
                try await connection.close()
                if !readOnly { return candidate }
                failure = DatabaseURLError("\(endpoint) is read-only, and target_session_attrs asks for read-write")
            } catch {
                failure = error
            }
        }
        throw failure ?? DatabaseURLError("the database URL names no host")
    }

    private static func open(_ url: DatabaseURL, logger: Logger) async throws -> PostgresConnection {
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
        return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
    }
}
