import Logging

/// The token endpoint (RFC 6749 §3.2) as a list of steps: find the tenant, refuse credentials in the URL,
/// pick the grant, authenticate the client, check the grant is allowed, and hand over to the grant.
///
/// It knows no grant type by name: grants come from the registry.
public struct TokenEndpoint: Sendable {
    /// Parameters the endpoint itself reads; grants declare the rest.
    public static let coreParameters: Set<String> = ["grant_type", "client_id", "client_secret"]

    private let directory: any ClientDirectory
    private let grants: GrantRegistry

    public init(directory: any ClientDirectory, grants: GrantRegistry) {
        self.directory = directory
        self.grants = grants
    }

    /// Runs a token request to its response. Every failure is an `OAuthError` that is safe to send.
    public func handle(_ request: TokenRequest, logger: Logger) async throws(OAuthError) -> TokenResponse {
        do {
            return try await process(request, logger: logger)
        } catch let error as OAuthError {
            throw error
        } catch let error as StoreUnavailableError {
            throw .temporarilyUnavailable(detail: error.description)
        } catch {
            logger.error("token request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw OAuthError(.serverError, "the server could not complete the request")
        }
    }

    private func process(_ request: TokenRequest, logger: Logger) async throws -> TokenResponse {
        let tenant = try await findTenant(request.tenantDomain)
        try rejectParametersInQuery(request.queryParameterNames)

        guard let grantTypeValue = request.form["grant_type"] else {
            throw OAuthError.invalidRequest("the grant_type parameter is missing")
        }
        let grantType = GrantType(rawValue: grantTypeValue)
        guard let grant = grants.grant(for: grantType) else {
            throw OAuthError(.unsupportedGrantType, "the grant type is not supported")
        }

        let client = try await authenticateClient(
            request, tenant: tenant, requirement: grant.clientAuthentication, logger: logger)
        if let client, !client.grantTypes.contains(grantType) {
            throw OAuthError(.unauthorizedClient, "the client is not allowed to use this grant type")
        }

        var context = GrantContext(tenant: tenant, client: client, logger: logger)
        context.logger[metadataKey: "grant_type"] = "\(grantType)"
        return try await grant.run(request.form, context)
    }

    /// An unknown or disabled tenant is a 404, the same for both so that tenants cannot be probed.
    private func findTenant(_ rawDomain: String) async throws -> Tenant {
        guard let domain = Tenant.normalizedDomain(rawDomain), let tenant = try await directory.tenant(domain: domain),
            tenant.enabled
        else {
            throw OAuthError(.notFound, "unknown tenant")
        }
        return tenant
    }

    /// RFC 6749 §2.3.1 and §3.2: credentials and token request parameters travel in the body, never in the URL,
    /// where proxies and logs would keep them.
    private func rejectParametersInQuery(_ names: [String]) throws(OAuthError) {
        let known = grants.parameterNames
        if names.contains(where: known.contains) {
            throw .invalidRequest("token request parameters must be sent in the request body, not the URL")
        }
    }

    /// RFC 6749 §2.3.1: HTTP Basic or the client_id/client_secret pair in the body; the secret is checked
    /// in constant time against its hash and then dropped.
    private func authenticateClient(
        _ request: TokenRequest, tenant: Tenant, requirement: ClientAuthenticationRequirement, logger: Logger
    ) async throws -> ClientApplication? {
        guard let credentials = try ClientCredentials.extract(authorization: request.authorization, form: request.form)
        else {
            if requirement == .optional { return nil }
            throw OAuthError.invalidClient(detail: "no client credentials")
        }
        let application = try await directory.application(tenantID: tenant.id, consumerKey: credentials.consumerKey)
        guard let application else {
            logger.notice("client authentication failed: unknown consumer key")
            throw OAuthError.invalidClient(detail: "unknown consumer key")
        }
        guard application.secretHash.verifies(credentials.secret) else {
            logger.notice(
                "client authentication failed: wrong secret", metadata: ["client_id": "\(application.consumerKey)"])
            throw OAuthError.invalidClient(detail: "wrong secret")
        }
        guard application.enabled else {
            logger.notice(
                "client authentication failed: application disabled",
                metadata: ["client_id": "\(application.consumerKey)"])
            throw OAuthError.invalidClient(detail: "application disabled")
        }
        return application
    }
}
