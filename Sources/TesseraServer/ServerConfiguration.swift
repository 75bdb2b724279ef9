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
    /// bcrypt cost for new password hashes; older hashes are upgraded on a successful sign-in.
    public var passwordCost = BcryptPasswordHasher.defaultCost
    /// Threads that hash passwords, apart from the ones serving requests.
    public var passwordThreads = 1
    /// Sign-ins that may wait for a hashing thread before new ones get 503.
    public var passwordQueue = 64
    /// Longest a run of failed sign-ins can lock one username out, in seconds.
    public var loginThrottleWindow: Double = 900
    /// The public base URL of the server: issuers are `<publicURL>/t/<tenant>` (RFC 8414).
    public var publicURL: String
    /// Seconds between purges of expired tokens; 0 turns the schedule off.
    public var purgeInterval = 3600
    /// Port of the Prometheus `/metrics` server on `host`; 0 turns metrics off.
    public var metricsPort = 9090

    public init(host: String, port: Int, defaultTenant: String?, database: DatabaseURL, databaseConnections: Int) {
        self.host = host
        self.port = port
        self.defaultTenant = defaultTenant
        self.database = database
        self.databaseConnections = databaseConnections
        self.publicURL = "http://localhost:\(port)"
    }
}
