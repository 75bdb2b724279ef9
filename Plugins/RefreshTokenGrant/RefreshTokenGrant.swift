import Foundation
import Logging
import TesseraCore

/// The refresh token grant (RFC 6749 §6): an application trades a refresh token for a new access token.
///
/// Refresh tokens rotate: each use returns a successor and retires the one presented. Presenting a retired
/// token again means two parties hold it, so the whole family (the successors and every access token issued
/// in it) is revoked (RFC 9700 §4.14.2). A requested scope, or resource (RFC 8707), may only narrow what was first
/// granted.
public struct RefreshTokenGrant: GrantHandler {
    public static let grantType: GrantType = "refresh_token"
    public static let parameters: Set<String> = ["refresh_token", "scope", "resource"]
    public static let repeatableParameters: Set<String> = ["resource"]
    /// RFC 6749 §6: a public client refreshes with its `client_id` alone; rotation and replay detection (RFC 9700
    /// §4.14.2) are what bind its refresh tokens to it.
    public static let clientAuthentication = ClientAuthenticationRequirement.publicClientsAllowed

    public struct Request: Sendable {
        let reference: TokenReference?
        let scope: String?
        let resources: [String]
    }

    private let issuer: TokenIssuer
    private let ledger: any TokenLedger

    /// Refresh tokens are judged by `issuer`'s clock, the one they were issued by.
    public init(issuer: TokenIssuer, ledger: any TokenLedger) {
        self.issuer = issuer
        self.ledger = ledger
    }

    /// §6: `refresh_token` is required. A value that is not one of our tokens is an unknown grant, not a
    /// malformed request: it gets the same answer as an unknown token.
    public func parse(_ form: TokenRequestParameters) throws(OAuthError) -> Request {
        guard let token = form["refresh_token"] else {
            throw .invalidRequest("the refresh_token parameter is missing")
        }
        let reference = TokenReference(token).flatMap { $0.kind == .refresh ? $0 : nil }
        return Request(reference: reference, scope: form["scope"], resources: form.all("resource"))
    }

    public func handle(_ request: Request, context: GrantContext) async throws -> TokenResponse {
        let client = try context.requireClient()
        // Another application's refresh token is unknown to this one, and is left unused.
        guard let reference = request.reference,
            let state = try await ledger.refreshToken(reference, tenantID: context.tenant.id, at: issuer.now()),
            state.applicationID == client.id
        else { throw Self.refused }
        if state.used {
            context.logger.warning(
                "refresh token replayed: family revoked", metadata: ["client_id": "\(client.consumerKey)"])
            try await ledger.revokeFamily(state.family, tenantID: context.tenant.id, at: issuer.now())
            throw Self.refused
        }
        guard state.active else { throw Self.refused }
        let scopes = try Self.narrowedScopes(request.scope, granted: state.scopes, client: client)
        let audience = try Self.narrowedAudience(request.resources, granted: state.audience, client: client)
        guard
            let response = try await issuer.rotate(
                reference, state: state, for: client, in: context.tenant, scopes: scopes, audience: audience,
                grantType: Self.grantType, ledger: ledger)
        else {
            context.logger.warning(
                "refresh token used twice at once: family revoked", metadata: ["client_id": "\(client.consumerKey)"])
            throw Self.refused
        }
        return response
    }

    /// §6: the scope may only narrow what was granted; without one, the token gets the granted scope, less
    /// any scope the application has since lost.
    static func narrowedScopes(_ requested: String?, granted: ScopeSet, client: ClientApplication) throws(OAuthError)
        -> ScopeSet
    {
        guard let requested else {
            let remaining = granted.intersection(client.allowedScopes)
            guard !remaining.isEmpty else {
                throw OAuthError(.invalidScope, "the application is no longer allowed any scope of this refresh token")
            }
            return remaining
        }
        let scopes = try ScopeSet(parsing: requested)
        let refused = scopes.subtracting(granted.intersection(client.allowedScopes))
        guard refused.isEmpty else {
            throw OAuthError(
                .invalidScope, "scope not granted to this refresh token: \(refused.joined(separator: " "))")
        }
        return scopes
    }

    /// RFC 8707 §2.2: the resources may only narrow what was granted, less any the application has since lost;
    /// without any, the granted ones that remain. An application without resources of its own got them from its
    /// tenant's, with the user's consent (the authorization code grant): they stand.
    static func narrowedAudience(_ requested: [String], granted: [String], client: ClientApplication)
        throws(OAuthError) -> [String]
    {
        guard !client.resources.isEmpty else {
            guard !requested.isEmpty else { return granted }
            return try ClientApplication.audience(
                requested, among: granted, refusal: "resource not granted to this refresh token")
        }
        let remaining = granted.filter(client.resources.contains)
        guard remaining.count == granted.count || !remaining.isEmpty else {
            throw OAuthError(.invalidTarget, "the application is no longer allowed any resource of this refresh token")
        }
        guard !requested.isEmpty else { return remaining }
        let asked = try client.grantedAudience(requested: requested)
        guard asked.allSatisfy(remaining.contains) else {
            throw OAuthError(.invalidTarget, "resource not granted to this refresh token")
        }
        return asked
    }

    /// One answer for unknown, expired, revoked, replayed and other applications' refresh tokens.
    static let refused = OAuthError(.invalidGrant, "the refresh token is invalid, expired or revoked")
}

extension RefreshTokenGrant: InstallableGrant {
    public init(parts: ServerParts) throws {
        self.init(issuer: try parts.require(), ledger: try parts.require())
    }
}
