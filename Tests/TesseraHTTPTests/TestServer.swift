import ClientCredentialsGrant
import Hummingbird
import HummingbirdTesting
import Logging
import TesseraCore
import TesseraHTTP
import TesseraTesting

/// The real router over in-memory stores: three tenants and the applications the tests authenticate as.
///
/// Every test builds its own server, so suites share no state and run in parallel.
struct TestServer: Sendable {
    let directory = InMemoryClientDirectory()
    let store = InMemoryTokenStore()
    private let endpoint: TokenEndpoint
    private let defaultTenant: String?

    /// - Parameter grants: installs grants beyond `client_credentials`, as a deployment would.
    /// - Parameter activity: told of each application's tokens and refusals.
    init(
        defaultTenant: String? = Tenants.acme.domain, activity: (any TokenActivity)? = nil,
        grants: (inout GrantRegistry, TokenIssuer) -> Void = { _, _ in }
    ) {
        var registry = GrantRegistry()
        let issuer = TokenIssuer(store: store)
        registry.register(ClientCredentialsGrant(issuer: issuer))
        grants(&registry, issuer)
        endpoint = TokenEndpoint(directory: directory, grants: registry, activity: activity)
        self.defaultTenant = defaultTenant
        for tenant in Tenants.all { directory.put(tenant) }
        for application in Applications.all { directory.put(application.application) }
    }

    /// Runs `test` against the router that `tessera serve` builds, without a socket.
    func test<Value>(
        metrics: RequestMetrics? = nil, _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let router = buildRouter(
            tokenRoutes: TokenRoutes(endpoint: endpoint, defaultTenant: defaultTenant), metrics: metrics)
        // Warnings and above only: the access log would print a line for every request of every test.
        var logger = Logger(label: "tessera.http-tests")
        logger.logLevel = .warning
        return try await Application(router: router, logger: logger).test(.router, test)
    }
}

/// The tenants every test server knows.
enum Tenants {
    static let acme = Fixtures.tenant(id: 1, domain: "acme.com")
    static let globex = Fixtures.tenant(id: 2, domain: "globex.com")
    static let closed = Fixtures.tenant(id: 3, domain: "closed.com", enabled: false)
    static let all = [acme, globex, closed]
}

/// An application with the secret it was registered with, since the directory keeps only the hash.
struct TestApplication: Sendable {
    let application: ClientApplication
    let secret: String

    var key: String { application.consumerKey }

    init(
        tenant: Tenant = Tenants.acme, id: ClientApplication.ID, key: String, secret: String,
        grantTypes: Set<GrantType> = ["client_credentials"], enabled: Bool = true
    ) {
        self.application = Fixtures.application(
            tenantID: tenant.id, id: id, consumerKey: key, secret: secret, grantTypes: grantTypes,
            allowedScopes: ["default", "read", "write"], defaultScopes: ["default"], defaultTokenValidity: 3600,
            maxTokenValidity: 86400, enabled: enabled)
        self.secret = secret
    }
}

/// The applications every test server knows.
enum Applications {
    /// acme.com, `client_credentials` only, scopes `default read write` (default `default`), 3600 s up to 86400 s.
    static let acme = TestApplication(
        id: 1, key: "pBzuIZhGphfQmdcUX0lneFiiuxwa", secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr")
    /// A key and secret with characters that RFC 6749 §2.3.1 makes the client form-encode.
    static let awkward = TestApplication(id: 2, key: "awkwardAwkwardAwkwardAwkward", secret: "p+ss%w:rd wörd/=?")
    static let disabled = TestApplication(
        id: 3, key: "disabledDisabledDisabled0001", secret: "disabled-secret", enabled: false)
    /// Allowed the test-only grants of GrantPluginTests as well as `client_credentials`.
    static let pluginUser = TestApplication(
        id: 4, key: "pluginPluginPluginPlugin0001", secret: "plugin-secret",
        grantTypes: ["client_credentials", EchoGrant.grantType, AnonymousGrant.grantType])
    static let globex = TestApplication(
        tenant: Tenants.globex, id: 10, key: "globexGlobexGlobexGlobex0001", secret: "globex-secret")
    static let all = [acme, awkward, disabled, pluginUser, globex]
}
