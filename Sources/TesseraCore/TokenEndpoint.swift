import Foundation
import Logging

/// The token endpoint (RFC 6749 §3.2) as a list of steps: find the tenant, refuse credentials in the URL,
/// pick the grant, authenticate the client, check the grant is allowed, and hand over to the grant.
///
/// It knows no grant type by name: grants come from the registry.
public struct TokenEndpoint: Sendable {
    /// Parameters the endpoint itself reads; grants declare the rest.
    public static let coreParameters: Set<String> = ClientCredentials.parameters.union(["grant_type"])

    private let authenticator: ClientAuthenticator
    private let grants: GrantRegistry
    private let activity: (any TokenActivity)?

    /// - Parameters:
    ///   - throttle: failed client authentications, shared with the other endpoints; nil for none.
    ///   - activity: counts each application's tokens and refusals; nil for none.
    ///   - now: the clock a rotated secret's grace period is judged by.
    public init(
        directory: any ClientDirectory, grants: GrantRegistry, throttle: ClientThrottle? = nil,
        assertions: ClientAssertionCheck? = nil, activity: (any TokenActivity)? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.authenticator = ClientAuthenticator(
            directory: directory, throttle: throttle, assertions: assertions, activity: activity, now: now)
        self.grants = grants
        self.activity = activity
    }

    /// The grant types installed, which the HTTP layer reports (any other value is "other").
    public var grantTypes: Set<GrantType> { grants.grantTypes }

    /// Runs a token request to its response. Every failure is an `OAuthError` that is safe to send.
    public func handle(_ request: TokenRequest, logger: Logger) async throws(OAuthError) -> TokenResponse {
        try await OAuthError.guarding(logger: logger) { try await process(request, logger: logger) }
    }

    private func process(_ request: TokenRequest, logger: Logger) async throws -> TokenResponse {
        let tenant = try await authenticator.tenant(request.tenantDomain)
        try ClientAuthenticator.rejectParametersInQuery(
            request.queryParameterNames, endpointParameters: grants.parameterNames)

        // RFC 6749 §3.2: the endpoint's own parameters are never repeated; a grant's, only as it declares.
        guard !Self.coreParameters.contains(where: request.form.isRepeated) else {
            throw OAuthError.invalidRequest("a parameter was sent more than once")
        }
        guard let grantTypeValue = request.form["grant_type"] else {
            throw OAuthError.invalidRequest("the grant_type parameter is missing")
        }
        let grantType = GrantType(rawValue: grantTypeValue)
        guard let grant = grants.grant(for: grantType) else {
            throw OAuthError(.unsupportedGrantType, "the grant type is not supported")
        }
        try request.form.refuseRepetition(except: grant.repeatableParameters)

        let client = try await authenticator.authenticate(
            request, tenant: tenant, requirement: grant.clientAuthentication, logger: logger)
        guard let activity, let client else { return try await run(grant, grantType, request, tenant, client, logger) }
        do {
            let response = try await run(grant, grantType, request, tenant, client, logger)
            activity.issued(to: client)
            return response
        } catch let error as OAuthError where error.refusesClient {
            activity.refused(client)
            throw error
        }
    }

    private func run(
        _ grant: AnyGrant, _ grantType: GrantType, _ request: TokenRequest, _ tenant: Tenant,
        _ client: ClientApplication?, _ logger: Logger
    ) async throws -> TokenResponse {
        if let client, !client.grantTypes.contains(grantType) {
            throw OAuthError(.unauthorizedClient, "the client is not allowed to use this grant type")
        }
        var context = GrantContext(tenant: tenant, client: client, logger: logger)
        context.logger[metadataKey: "grant_type"] = "\(grantType)"
        return try await grant.run(request.form, context)
    }
}
