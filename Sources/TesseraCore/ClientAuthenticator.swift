import Foundation
import Logging

/// What the token, introspection and revocation endpoints do first: find the tenant and authenticate the
/// client (RFC 6749 §2.3.1), with the same answers everywhere.
public struct ClientAuthenticator: Sendable {
    private let directory: any ClientDirectory
    /// Failed authentications per client and per source address; nil when they are not throttled.
    private let throttle: ClientThrottle?
    /// When a replaced secret's grace period and an assertion's times are judged.
    private let now: @Sendable () -> Date
    /// What `private_key_jwt` needs besides the client's keys; without it every assertion is refused.
    private let assertions: ClientAssertionCheck?
    /// Told of each refusal of a known application (the token endpoint's counts); nil elsewhere.
    private let activity: (any TokenActivity)?

    public init(
        directory: any ClientDirectory, throttle: ClientThrottle? = nil, assertions: ClientAssertionCheck? = nil,
        activity: (any TokenActivity)? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.directory = directory
        self.throttle = throttle
        self.assertions = assertions
        self.activity = activity
        self.now = now
    }

    /// An unknown or disabled tenant is a 404, the same for both so that tenants cannot be probed.
    public func tenant(_ rawDomain: String) async throws -> Tenant {
        guard let domain = Tenant.normalizedDomain(rawDomain), let tenant = try await directory.tenant(domain: domain),
            tenant.enabled
        else {
            throw OAuthError(.notFound, "unknown tenant")
        }
        return tenant
    }

    /// RFC 6749 §2.3.1 and §3.2: credentials and the endpoint's parameters travel in the body, never in the
    /// URL, where proxies and logs would keep them.
    public static func rejectParametersInQuery(_ names: [String], endpointParameters: Set<String>) throws(OAuthError) {
        if names.contains(where: endpointParameters.contains) {
            throw .invalidRequest("request parameters must be sent in the request body, not the URL")
        }
    }

    /// HTTP Basic or the client_id/client_secret pair in the body; the secret is checked in constant time
    /// against its hash (and the previous secret's during a rotation's grace period) and then dropped. Nil when
    /// there are no credentials and they are `optional`. A client or address throttled after failures is refused
    /// (429) before any lookup; the failures it counts are `invalid_client` answers.
    public func authenticate(
        _ request: TokenRequest, tenant: Tenant, requirement: ClientAuthenticationRequirement = .required,
        logger: Logger
    ) async throws -> ClientApplication? {
        guard let credentials = try ClientCredentials.extract(authorization: request.authorization, form: request.form)
        else {
            if requirement == .optional { return nil }
            throw OAuthError.invalidClient(detail: "no client credentials")
        }
        if credentials.method == .none, requirement != .publicClientsAllowed {
            throw OAuthError.invalidClient(detail: "client_id without a secret: this needs a confidential client")
        }
        let (key, address) = (credentials.consumerKey, request.sourceAddress)
        if let wait = throttle?.retryAfter(tenantID: tenant.id, consumerKey: key, address: address) {
            logger.debug("client authentication throttled", metadata: ["retry_after": "\(wait)"])
            throw OAuthError(.slowDown, "too many failed client authentications; try again later", retryAfter: wait)
        }
        do {
            let application = try await verify(credentials, tenant: tenant, logger: logger)
            throttle?.succeeded(tenantID: tenant.id, consumerKey: key, address: address)
            return application
        } catch let error as OAuthError where error.code == .invalidClient {
            throttle?.failed(tenantID: tenant.id, consumerKey: key, address: address)
            throw error
        }
    }

    /// The application whose key and secret these are, enabled; `invalid_client` for any other.
    private func verify(_ credentials: ClientCredentials, tenant: Tenant, logger: Logger) async throws
        -> ClientApplication
    {
        // A key Tessera never makes cannot be in the directory: refused without asking it (nor its cache). A
        // metadata document's URL is the key of the client it describes, where the tenant accepts such clients.
        let key = credentials.consumerKey
        guard
            CredentialGenerator.isConsumerKey(key)
                || (tenant.clientDocuments.accepted && ClientMetadataDocument.isDocumentURL(key)),
            let application = try await directory.application(tenantID: tenant.id, consumerKey: key)
        else {
            logger.notice("client authentication failed: unknown consumer key")
            throw OAuthError.invalidClient(detail: "unknown consumer key")
        }
        do {
            try await check(credentials, of: application, tenant: tenant, logger: logger)
        } catch let error as OAuthError where error.refusesClient {
            activity?.refused(application)
            throw error
        }
        return application
    }

    /// That `application` may use these credentials' method, that their proof is its, and that it is enabled.
    private func check(
        _ credentials: ClientCredentials, of application: ClientApplication, tenant: Tenant, logger: Logger
    ) async throws {
        guard application.allows(credentials.method) else {
            logger.notice(
                "client authentication failed: method not allowed",
                metadata: ["client_id": "\(application.consumerKey)", "method": "\(credentials.method.rawValue)"])
            throw OAuthError.invalidClient(detail: "authentication method not allowed for this client")
        }
        switch credentials.proof {
        case .secret(let secret):
            guard application.acceptsSecret(secret, at: now()) else {
                logger.notice(
                    "client authentication failed: wrong secret", metadata: ["client_id": "\(application.consumerKey)"])
                throw OAuthError.invalidClient(detail: "wrong secret")
            }
        case .assertion(let assertion):
            try await verify(assertion, of: application, tenant: tenant, logger: logger)
        case .none:
            break  // allowed above: a public client has nothing more to prove
        }
        guard application.enabled else {
            logger.notice(
                "client authentication failed: application disabled",
                metadata: ["client_id": "\(application.consumerKey)"])
            throw OAuthError.invalidClient(detail: "application disabled")
        }
    }

    /// RFC 7523 §3 for `private_key_jwt`: every failure is the same `invalid_client`, the reason only in the debug log
    /// (never the assertion). The `jti` is used up last, so that an assertion failing another check costs no write.
    private func verify(
        _ assertion: ClientAssertion, of application: ClientApplication, tenant: Tenant, logger: Logger
    ) async throws {
        let refused = OAuthError.invalidClient(detail: "client assertion refused")
        guard let assertions, let keys = try await keys(for: assertion, of: application, assertions, logger: logger)
        else { throw refused }
        let now = now()
        if let reason = assertion.failure(
            keys: keys, consumerKey: application.consumerKey, audiences: assertions.audiences(for: tenant), at: now)
        {
            logger.debug(
                "client assertion refused",
                metadata: ["client_id": "\(application.consumerKey)", "reason": "\(reason)"])
            throw refused
        }
        guard
            try await assertions.ledger.use(
                assertion.idHash, tenantID: tenant.id, applicationID: application.id,
                until: assertion.expiresAt.addingTimeInterval(ClientAssertion.clockSkew))
        else {
            logger.notice(
                "client assertion replayed: its jti was used before",
                metadata: ["client_id": "\(application.consumerKey)"])
            throw refused
        }
    }

    /// The keys to check `assertion` with: those registered, or those the client publishes, fetched again when the
    /// assertion names a `kid` the cached set lacks (the client rotated). Nil, logged, when there are none.
    private func keys(
        for assertion: ClientAssertion, of application: ClientApplication, _ assertions: ClientAssertionCheck,
        logger: Logger
    ) async throws -> ClientKeySet? {
        if let keys = application.clientKeys { return keys }
        guard let url = application.clientKeysURL, let published = assertions.published else {
            logger.debug(
                "client assertion refused: no keys registered", metadata: ["client_id": "\(application.consumerKey)"])
            return nil
        }
        do {
            let keys = try await published.keySet(at: url, refresh: false)
            guard let kid = assertion.keyID, !keys.keyIDs.contains(kid) else { return keys }
            return try await published.keySet(at: url, refresh: true)
        } catch {
            logger.debug(
                "client assertion refused: the client's published keys could not be fetched",
                metadata: ["client_id": "\(application.consumerKey)", "error": "\(error)"])
            return nil
        }
    }

    /// The parameters of the endpoints that take a token (RFC 7662 §2.1, RFC 7009 §2.1).
    public static let tokenParameters: Set<String> = ClientCredentials.parameters.union(["token", "token_type_hint"])
    /// A token of ours is 64 characters; anything much longer is not worth hashing.
    static let maximumTokenLength = 512

    /// What introspection and revocation start with: the tenant, the authenticated client, and the `token`
    /// parameter, which both RFCs require. Revocation takes public clients too (RFC 7009 §2.1: a public client
    /// revokes its own tokens with its `client_id`); introspection does not.
    public func tokenRequest(
        _ request: TokenRequest, requirement: ClientAuthenticationRequirement = .required, logger: Logger
    ) async throws -> (Tenant, ClientApplication, String) {
        let tenant = try await tenant(request.tenantDomain)
        try Self.rejectParametersInQuery(request.queryParameterNames, endpointParameters: Self.tokenParameters)
        try request.form.refuseRepetition()
        guard let client = try await authenticate(request, tenant: tenant, requirement: requirement, logger: logger)
        else { throw OAuthError.invalidClient(detail: "no client credentials") }
        guard let token = request.form["token"] else {
            throw OAuthError.invalidRequest("the token parameter is missing")
        }
        guard token.utf8.count <= Self.maximumTokenLength else {
            throw OAuthError.invalidRequest("the token parameter is too long")
        }
        return (tenant, client, token)
    }

    /// The authenticated client of an endpoint that always needs one.
    public func client(_ request: TokenRequest, tenant: Tenant, logger: Logger) async throws -> ClientApplication {
        guard let client = try await authenticate(request, tenant: tenant, logger: logger) else {
            throw OAuthError.invalidClient(detail: "no client credentials")
        }
        return client
    }
}

extension OAuthError {
    /// Runs an endpoint's work and turns every failure into an `OAuthError` that is safe to send: database
    /// outages become 503, anything unexpected a logged 500 without internals.
    public static func guarding<Result>(
        logger: Logger, _ body: () async throws -> Result
    ) async throws(OAuthError) -> Result {
        do {
            return try await body()
        } catch let error as OAuthError {
            throw error
        } catch let error as StoreUnavailableError {
            throw .temporarilyUnavailable(detail: error.description)
        } catch {
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw OAuthError(.serverError, "the server could not complete the request")
        }
    }
}
