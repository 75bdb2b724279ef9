import Foundation
import Logging
import TesseraCore
import TesseraPages

/// The authorization endpoint (RFC 6749 §3.1), `GET`/`POST /t/{tenant}/authorize`: checks the request, signs the
/// user in, asks for consent (or finds it remembered), and sends the browser back to the client with a code.
///
/// The flow keeps no state between pages but the browser's session: each form carries the request's parameters and
/// is checked again in full when posted, along with its CSRF token.
public struct AuthorizationEndpoint: GrantEndpoint {
    public let path = "authorize"

    private let tenants: ClientAuthenticator
    private let directory: any ClientDirectory
    private let codes: any AuthorizationCodeStore
    private let browser: BrowserSignIn
    private let consents: any ConsentStore
    private let resources: any ProtectedResourceDirectory
    private let issuer: IssuerURL
    /// Clients known by a metadata document; nil where the server fetches none.
    private let documents: (any ClientDocumentResolver)?
    private let now: @Sendable () -> Date

    public init(
        directory: any ClientDirectory, codes: any AuthorizationCodeStore, sessions: any BrowserSessionStore,
        consents: any ConsentStore, resources: any ProtectedResourceDirectory, signIn: UserSignIn,
        issuer: IssuerURL, documents: (any ClientDocumentResolver)? = nil, now: @escaping @Sendable () -> Date
    ) {
        self.documents = documents
        self.tenants = ClientAuthenticator(directory: directory)
        self.directory = directory
        self.codes = codes
        self.browser = BrowserSignIn(signIn: signIn, sessions: sessions, now: now)
        self.consents = consents
        self.resources = resources
        self.issuer = issuer
        self.now = now
    }

    public func metadata(tenant: Tenant, issuer: String) -> [String: MetadataValue] {
        var members: [String: MetadataValue] = [
            "authorization_endpoint": .string(issuer + "/" + path),
            "response_types_supported": .strings(["code"]),
            "response_modes_supported": .strings(["query"]),
            "code_challenge_methods_supported": .strings(["S256"]),
            // RFC 9207: every authorization response names its issuer, against mix-up attacks.
            "authorization_response_iss_parameter_supported": .bool(true),
            "client_id_metadata_document_supported": .bool(documents != nil && tenant.clientDocuments.accepted),
        ]
        // The scopes a client without registered ones (a metadata document's) may ask for.
        if documents != nil, tenant.clientDocuments.accepted, !tenant.clientDocuments.scopes.tokens.isEmpty {
            members["scopes_supported"] = .strings(tenant.clientDocuments.scopes.tokens)
        }
        return members
    }

    public func respond(to request: EndpointRequest, logger: Logger) async -> EndpointResponse {
        do {
            return try await process(request, logger: logger)
        } catch {
            return AuthorizationPages.failure(of: "authorization request", error, logger: logger)
        }
    }

    private func process(_ request: EndpointRequest, logger: Logger) async throws -> EndpointResponse {
        let tenant = try await tenants.tenant(request.tenantDomain)
        let parameters = request.parameters
        let target = try await AuthorizationRequest.target(
            parameters, tenant: tenant, directory: directory, documents: documents)
        let iss = issuer.url(for: tenant)
        let back = ClientRedirect(target: target, issuer: iss, afterPost: request.method == .post)
        let declared = try await resources.resources(tenantID: tenant.id)
        let authorization: AuthorizationRequest
        do {
            authorization = try AuthorizationRequest(parameters, target: target, declared: declared)
        } catch {
            return back.error(error)
        }
        let carried = AuthorizationPages.carried(parameters)
        let page = PageContext(
            tenant: tenant, authorization: authorization, carried: carried, declared: declared, secure: request.isSecure
        )

        let cookie = BrowserCookie.from(request)
        let user = try await browser.user(cookie, tenantID: tenant.id)

        guard request.method == .post else {
            guard let user, let cookie else {
                let fresh = cookie ?? BrowserCookie.generate()
                return page.signIn(cookie: fresh, setCookie: cookie == nil)
            }
            return try await consentOrCode(page, user: user, cookie: cookie, back: back, setCookie: false)
        }
        // Every form carries the browser's CSRF token; a form without it was not ours.
        guard let cookie, cookie.accepts(csrf: request.form["csrf"]) else {
            return AuthorizationPages.error(
                "The form expired or did not come from this site. Go back to the application and start again.",
                status: 403)
        }
        switch request.form["action"] {
        case SignInForm.action:
            return try await signIn(request, page: page, cookie: cookie, back: back, logger: logger)
        case "approve":
            guard let user else { return page.signIn(cookie: cookie, setCookie: false) }
            try await consents.record(
                tenantID: tenant.id, userID: user.id, applicationID: authorization.client.id,
                scopes: authorization.scopes, resources: authorization.resources)
            return try await code(authorization, user: user, back: back)
        case "deny":
            return back.error(OAuthError(.accessDenied, "the user denied the request"))
        case "switch_user":
            if user != nil { try await browser.signOut(cookie, tenantID: tenant.id) }
            let fresh = BrowserCookie.generate()
            return page.signIn(cookie: fresh, setCookie: true)
        default:
            return AuthorizationPages.error("The form was not one of this page's.", status: 400)
        }
    }

    /// Checks the password; a success starts a session under a new cookie value.
    private func signIn(
        _ request: EndpointRequest, page: PageContext, cookie: BrowserCookie, back: ClientRedirect, logger: Logger
    ) async throws -> EndpointResponse {
        switch try await browser.signIn(request.form, tenantID: page.tenant.id, logger: logger) {
        case .refused(let message, let status):
            return page.signIn(
                cookie: cookie, setCookie: false, username: request.form["username"] ?? "", error: message,
                status: status)
        case .signedIn(let user, let session):
            return try await consentOrCode(page, user: user, cookie: session, back: back, setCookie: true)
        }
    }

    /// The consent page, or straight back to the client with a code when the user consented to as much before.
    private func consentOrCode(
        _ page: PageContext, user: User, cookie: BrowserCookie, back: ClientRedirect, setCookie: Bool
    ) async throws -> EndpointResponse {
        let authorization = page.authorization
        if let consent = try await consents.consent(
            tenantID: page.tenant.id, userID: user.id, applicationID: authorization.client.id),
            consent.covers(scopes: authorization.scopes, resources: authorization.resources)
        {
            var response = try await code(authorization, user: user, back: back)
            if setCookie { response.headers.append(("Set-Cookie", cookie.setCookie(secure: page.secure))) }
            return response
        }
        return page.consent(user: user, cookie: cookie, setCookie: setCookie)
    }

    /// Issues a code bound to everything the user approved and sends the browser back with it.
    private func code(_ authorization: AuthorizationRequest, user: User, back: ClientRedirect) async throws
        -> EndpointResponse
    {
        let code = AuthorizationCode.generate()
        try await codes.save(
            AuthorizationCode(
                hash: TokenHash(of: code), tenantID: authorization.client.tenantID,
                applicationID: authorization.client.id, userID: user.id, username: user.username,
                redirectURI: authorization.redirectURIGiven ? authorization.redirectURI : nil,
                challenge: authorization.challenge, scopes: authorization.scopes, resources: authorization.resources,
                expiresAt: now().addingTimeInterval(AuthorizationCode.lifetime)))
        return back.success(code: code)
    }
}
