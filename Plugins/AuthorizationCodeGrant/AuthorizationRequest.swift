import Foundation
import TesseraCore

/// An authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2), checked in the order RFC 9700 §4.1 asks:
/// the client and its redirect URI first, whose failures are shown to the user and never redirected (an unchecked
/// redirect URI would make this server an open redirector), then the rest, whose failures go back to the client.
struct AuthorizationRequest: Sendable {
    let client: ClientApplication
    /// Where the browser goes back to: the request's `redirect_uri`, or the client's only registered one.
    let redirectURI: String
    /// Whether the request named the redirect URI: the token request must then name the same (RFC 6749 §4.1.3).
    let redirectURIGiven: Bool
    let state: String?
    let challenge: PKCEChallenge
    let scopes: ScopeSet
    let resources: [String]

    /// The parameters the flow reads, which the sign-in and consent forms carry from page to page.
    static let parameterNames = [
        "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
        "resource", "response_mode",
    ]
    /// Longest `state` echoed; clients use a few dozen bytes.
    static let maximumStateLength = 1024

    /// What is known once the client and redirect URI are: enough to send an error back.
    struct Target: Sendable {
        let client: ClientApplication
        let redirectURI: String
        let redirectURIGiven: Bool
        let state: String?
    }

    /// The first step: the client (`client_id`, enabled, allowed this grant) and where to send the browser. Every
    /// failure is a page.
    static func target(
        _ parameters: TokenRequestParameters, tenant: Tenant, directory: any ClientDirectory,
        documents: (any ClientDocumentResolver)?
    ) async throws -> Target {
        for name in ["client_id", "redirect_uri"] where parameters.isRepeated(name) {
            throw AuthorizationFailure.page(status: 400, "The request names its \(name) more than once.")
        }
        guard let clientID = parameters["client_id"] else {
            throw AuthorizationFailure.page(status: 400, "The request names no client (client_id is missing).")
        }
        let client = try await Self.client(clientID, tenant: tenant, directory: directory, documents: documents)
        guard client.grantTypes.contains(AuthorizationCodeGrant.grantType) else {
            throw AuthorizationFailure.page(status: 400, "The client may not use the authorization code grant.")
        }
        let redirectURI: String
        if let requested = parameters["redirect_uri"] {
            guard RedirectURI.matches(requested, registered: client.redirectURIs) else {
                throw AuthorizationFailure.page(
                    status: 400, "The redirect URI is not one the client registered, so the browser is not sent there.")
            }
            redirectURI = requested
        } else {
            // RFC 6749 §3.1.2.3: without redirect_uri, the client's only one; with several, which one is unknown.
            guard client.redirectURIs.count == 1, let only = client.redirectURIs.first else {
                throw AuthorizationFailure.page(
                    status: 400, "The request names no redirect URI (redirect_uri), and the client has not exactly one."
                )
            }
            redirectURI = only
        }
        let state = parameters["state"]
        if let state, state.utf8.count > maximumStateLength || state.hasControlCharacters {
            throw AuthorizationFailure.page(status: 400, "The request's state is too long or malformed.")
        }
        return Target(
            client: client, redirectURI: redirectURI, redirectURIGiven: parameters["redirect_uri"] != nil, state: state)
    }

    /// The client `clientID` names: a registered one, or one known by the metadata document at that URL (where the
    /// tenant accepts them).
    static func client(
        _ clientID: String, tenant: Tenant, directory: any ClientDirectory, documents: (any ClientDocumentResolver)?
    ) async throws -> ClientApplication {
        if ClientMetadataDocument.isDocumentURL(clientID) {
            guard let documents, tenant.clientDocuments.accepted else {
                throw AuthorizationFailure.page(
                    status: 400, "This tenant does not accept clients known by a metadata document (client_id URL).")
            }
            do {
                let client = try await documents.client(at: clientID, tenant: tenant)
                guard client.enabled else { throw AuthorizationFailure.page(status: 400, "The client is disabled.") }
                return client
            } catch let refusal as ClientMetadataDocumentError {
                throw AuthorizationFailure.page(status: 400, "The client cannot be used: \(refusal.description).")
            }
        }
        guard CredentialGenerator.isConsumerKey(clientID),
            let client = try await directory.application(tenantID: tenant.id, consumerKey: clientID), client.enabled
        else {
            throw AuthorizationFailure.page(status: 400, "The client is unknown or disabled.")
        }
        return client
    }

    /// The second step, without I/O: response type, PKCE, scopes and resources. Failures go back to the client.
    init(_ parameters: TokenRequestParameters, target: Target, declared: [ProtectedResource]) throws(OAuthError) {
        // RFC 6749 §3.1: no parameter of the request may be sent twice, but `resource` (RFC 8707).
        try parameters.restricted(to: Set(Self.parameterNames)).refuseRepetition(except: ["resource"])
        guard let responseType = parameters["response_type"] else {
            throw .invalidRequest("response_type is missing")
        }
        guard responseType == "code" else {
            throw OAuthError(.unsupportedResponseType, "only the code response type is supported")
        }
        if let mode = parameters["response_mode"], mode != "query" {
            throw .invalidRequest("only the query response mode is supported")
        }
        // RFC 9700 §2.1.1: PKCE for every client, S256 only (`plain` shows the verifier to whoever sees the request).
        let challenge = try PKCEChallenge(
            challenge: parameters["code_challenge"], method: parameters["code_challenge_method"])
        let client = target.client
        self.client = client
        self.redirectURI = target.redirectURI
        self.redirectURIGiven = target.redirectURIGiven
        self.state = target.state
        self.challenge = challenge
        self.scopes = try client.grantedScopes(requested: parameters["scope"])
        self.resources = try Self.audience(requested: parameters.all("resource"), client: client, declared: declared)
    }

    /// RFC 8707: an application registered with resources stays limited to them (all of them when none is asked
    /// for); any other may ask for any resource its tenant declared, which the user sees and consents to.
    static func audience(requested: [String], client: ClientApplication, declared: [ProtectedResource])
        throws(OAuthError) -> [String]
    {
        if !client.resources.isEmpty { return try client.grantedAudience(requested: requested) }
        return try ClientApplication.audience(
            requested, among: declared.map(\.uri), refusal: "the resource is not one this tenant protects")
    }
}

/// Why an authorization request stops: shown to the user, or sent back to the client.
enum AuthorizationFailure: Error {
    /// Before the redirect URI is trusted, or when there is no one to send it to.
    case page(status: Int, String)
}

extension OAuthError.Code {
    /// RFC 6749 §4.1.2.1.
    static let unsupportedResponseType = OAuthError.Code(rawValue: "unsupported_response_type")
    static let accessDenied = OAuthError.Code(rawValue: "access_denied")
}
