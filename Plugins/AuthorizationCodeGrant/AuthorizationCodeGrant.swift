import Foundation
import Logging
import TesseraCore
import TesseraPages

/// The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1.1): a user signs in and consents
/// at the authorization endpoint, which this grant brings (`AuthorizationEndpoint`); the client trades the code it
/// got back, with the PKCE verifier, for tokens that speak for the user.
///
/// A code is single-use: whatever presents it second is refused, and the tokens issued for it are revoked (RFC 6749
/// §4.1.2), since two parties held it. A code that fails any check (another client's, another redirect URI, a wrong
/// verifier) is spent all the same, so that nobody can try verifiers against it.
public struct AuthorizationCodeGrant: GrantHandler {
    public static let grantType: GrantType = "authorization_code"
    public static let parameters: Set<String> = ["code", "redirect_uri", "code_verifier", "resource"]
    public static let repeatableParameters: Set<String> = ["resource"]
    /// A public client (no secret) names itself with `client_id`: PKCE's verifier proves it started the request.
    public static let clientAuthentication = ClientAuthenticationRequirement.publicClientsAllowed
    /// The grant whose presence lets the code come with a refresh token.
    public static let refreshTokenGrantType: GrantType = "refresh_token"

    public struct Request: Sendable {
        let code: String
        let redirectURI: String?
        let verifier: String
        let resources: [String]
    }

    private let issuer: TokenIssuer
    private let codes: any AuthorizationCodeStore
    private let ledger: any TokenLedger
    public let endpoints: [any GrantEndpoint]

    /// - Parameter endpoints: the authorization endpoint, and the users' consents page where there is one.
    public init(
        issuer: TokenIssuer, codes: any AuthorizationCodeStore, ledger: any TokenLedger,
        endpoint: AuthorizationEndpoint, consentsPage: ConsentsEndpoint? = nil
    ) {
        self.issuer = issuer
        self.codes = codes
        self.ledger = ledger
        self.endpoints = [endpoint] + (consentsPage.map { [$0] } ?? [])
    }

    /// §4.1.3: `code` is required, and RFC 9700 §2.1.1 makes `code_verifier` so for every client.
    public func parse(_ form: TokenRequestParameters) throws(OAuthError) -> Request {
        guard let code = form["code"] else { throw .invalidRequest("the code parameter is missing") }
        guard let verifier = form["code_verifier"] else {
            throw .invalidRequest("the code_verifier parameter is missing (PKCE is required)")
        }
        return Request(
            code: code, redirectURI: form["redirect_uri"], verifier: verifier, resources: form.all("resource"))
    }

    public func handle(_ request: Request, context: GrantContext) async throws -> TokenResponse {
        let client = try context.requireClient()
        let tenantID = context.tenant.id
        guard AuthorizationCode.isPlausible(request.code) else { throw Self.refused }
        let code: AuthorizationCode
        switch try await codes.redeem(TokenHash(of: request.code), tenantID: tenantID, at: issuer.now()) {
        case .invalid:
            throw Self.refused
        case .replayed(let applicationID, let issued):
            context.logger.warning(
                "authorization code used twice: its tokens are revoked",
                metadata: ["client_id": "\(client.consumerKey)"])
            try await revoke(issued, tenantID: tenantID, applicationID: applicationID)
            throw Self.refused
        case .redeemed(let redeemed):
            code = redeemed
        }
        // §4.1.3: the code was issued to this client, for this redirect URI; RFC 7636 §4.6: for this verifier.
        guard code.applicationID == client.id, code.redirectURI == nil || code.redirectURI == request.redirectURI,
            code.challenge.isVerified(by: request.verifier)
        else { throw Self.refused }
        // RFC 8707 §2.2: the token request may narrow the resources the user consented to, never widen them.
        let audience =
            request.resources.isEmpty
            ? code.resources
            : try ClientApplication.audience(
                request.resources, among: code.resources, refusal: "resource not granted to this authorization code")
        let response = try await issuer.issue(
            for: client, in: context.tenant, subject: .user(username: code.username), scopes: code.scopes,
            audience: audience, lifetime: client.defaultTokenValidity, grantType: Self.grantType, userID: code.userID,
            registersUser: true, refreshable: client.grantTypes.contains(Self.refreshTokenGrantType))
        let issued = [response.accessToken, response.additionalFields["refresh_token"]].compactMap {
            $0.flatMap(TokenReference.init)
        }
        guard try await codes.recordIssued(issued, code: code.hash, tenantID: tenantID) else {
            // Replayed between the redemption and now: what was just issued goes too.
            try await revoke(issued, tenantID: tenantID, applicationID: client.id)
            throw Self.refused
        }
        return response
    }

    private func revoke(_ tokens: [TokenReference], tenantID: Tenant.ID, applicationID: ClientApplication.ID)
        async throws
    {
        for token in tokens {
            try await ledger.revoke(token, tenantID: tenantID, applicationID: applicationID, at: issuer.now())
        }
    }

    /// One answer for unknown, expired, used, mismatched and unverified codes.
    static let refused = OAuthError(.invalidGrant, "the authorization code is invalid, expired or already used")
}

extension AuthorizationCodeGrant: InstallableGrant {
    public init(parts: ServerParts) throws {
        let issuer: TokenIssuer = try parts.require()
        let codes: any AuthorizationCodeStore = try parts.require()
        let (directory, consents): (any ClientDirectory, any ConsentStore) = (try parts.require(), try parts.require())
        let (sessions, signIn): (any BrowserSessionStore, UserSignIn) = (try parts.require(), try parts.require())
        self.init(
            issuer: issuer, codes: codes, ledger: try parts.require(),
            endpoint: AuthorizationEndpoint(
                directory: directory, codes: codes, sessions: sessions, consents: consents,
                resources: try parts.require(), signIn: signIn, issuer: try parts.require(),
                documents: try? parts.require((any ClientDocumentResolver).self), now: issuer.now),
            consentsPage: ConsentsEndpoint(
                directory: directory, consents: consents,
                browser: BrowserSignIn(signIn: signIn, sessions: sessions, now: issuer.now)))
    }
}
