import Logging
import TesseraPostgres

/// Everything `tessera serve` needs, gathered from options and the environment by the CLI.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var defaultTenant: String?
    public var database: DatabaseURL
    /// Connections in the PostgreSQL pool.
    public var databaseConnections: Int

    public init(host: String, port: Int, defaultTenant: String?, database: DatabaseURL, databaseConnections: Int) {
        self.host = host
        self.port = port
        self.defaultTenant = defaultTenant
        self.database = database
        self.databaseConnections = databaseConnections
    }
}
