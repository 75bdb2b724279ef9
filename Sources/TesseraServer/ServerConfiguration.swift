import Logging
import TesseraCore
import TesseraHTTP
import TesseraPostgres

/// Everything `tessera serve` needs, gathered from options and the environment by the CLI.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var defaultTenant: String?
    /// The system tenant: its clients with scope `tessera:admin` administer every tenant through the admin API.
    public var adminTenant = ServerConfiguration.defaultAdminTenant
    public static let defaultAdminTenant = "system"
    /// What `POST /token` serves: the default tenant, else the system tenant (so that an admin client's token comes
    /// from `/token` on a server with no default tenant).
    public var servedDefaultTenant: String { defaultTenant ?? adminTenant }
    public var database: DatabaseURL
    /// Connections in the PostgreSQL pool.
    public var databaseConnections: Int
    /// bcrypt cost for new password hashes; older hashes are upgraded on a successful sign-in.
    public var passwordCost = BcryptPasswordHasher.defaultCost
    /// Threads that hash passwords, apart from the ones serving requests.
    public var passwordThreads = 1
    /// Sign-ins that may wait for a hashing thread before new ones get 503.
    public var passwordQueue = 64
    /// Whether the hashing threads go into an idle CPU cgroup when the process may make one (`IdleCPUGroup`).
    public var passwordCPUGroup = PasswordCPUGroup.auto
    /// Longest a run of failed sign-ins can lock one username out, in seconds.
    public var loginThrottleWindow: Double = 900
    /// Longest wait failed client authentications impose on a client or a source address, in seconds; 0 for none.
    public var clientThrottleWindow: Double = 60
    /// Proxies whose `X-Forwarded-For` names the client's address.
    public var trustedProxies = TrustedProxies.none
    /// The public base URL of the server: issuers are `<publicURL>/t/<tenant>` (RFC 8414). By default the plain
    /// HTTP port on localhost, or the HTTPS port when plain HTTP is off.
    public var publicURL: String {
        get { configuredPublicURL ?? (port > 0 ? "http://localhost:\(port)" : "https://localhost:\(httpsPort)") }
        set { configuredPublicURL = newValue }
    }
    private var configuredPublicURL: String?
    /// Seconds between purges of expired tokens; 0 turns the schedule off.
    public var purgeInterval = 3600
    /// Days a tenant's signing key signs before the servers rotate it; 0 leaves rotation to `tessera key rotate`.
    public var keyRotationDays = 90
    /// Seals reusable tokens and tenants' signing keys; without one, `serve` uses (or makes) the one in
    /// `dataDirectory`.
    public var serverKey: ServerKey?
    /// A plain-HTTP listener of the admin API's own on `adminHost`; 0 serves the admin API on the public listeners
    /// instead. With one, the public listeners do not serve it, so it can stay off the public network.
    public var adminPort = 0
    /// Hosts whose published documents (`jwks_uri`) may be fetched although they resolve to loopback, private or
    /// link-local addresses, and over plain http: for development and tests only, never where clients are strangers.
    public var fetchAllowedHosts: Set<String> = []
    /// A PEM file of CA certificates trusted, beside the system's, when fetching those documents.
    public var fetchCAFile: String?
    /// Where the admin listener binds: loopback unless the operator opens it.
    public var adminHost = "127.0.0.1"
    /// Port of the Prometheus `/metrics` server on `host`; 0 turns metrics off.
    public var metricsPort = 9090
    /// HTTPS port on `host`, serving what `port` serves; 0 turns HTTPS off.
    public var httpsPort = 8243
    /// The operator's certificate chain and key (PEM files); without them a self-signed certificate for localhost
    /// is created in `dataDirectory`.
    public var tlsFiles: (certificate: String, key: String)?
    /// Timeouts and the connection cap of each HTTP listener.
    public var connectionLimits = ConnectionLimits()
    /// After SIGTERM, how long requests already received may take before the process exits regardless.
    public var shutdownGrace: Duration = .seconds(10)
    /// Where the server keeps its few files (the self-signed certificate, the server key); relative to the working
    /// directory.
    public var dataDirectory = ".tessera"

    public init(host: String, port: Int, defaultTenant: String?, database: DatabaseURL, databaseConnections: Int) {
        self.host = host
        self.port = port
        self.defaultTenant = defaultTenant
        self.database = database
        self.databaseConnections = databaseConnections
    }
}
