import Foundation
import Logging
import TesseraCore
import TesseraPages

/// A tenant user's own page of consents, `GET`/`POST /t/{tenant}/consents`: which applications the user allowed to
/// act for them, each with a button that revokes it (and the application's refresh tokens for the user), and
/// sign-out. Administrators do the same with `tessera user consents` and the admin API.
public struct ConsentsEndpoint: GrantEndpoint {
    public let path = "consents"

    private let tenants: ClientAuthenticator
    private let directory: any ClientDirectory
    private let consents: any ConsentStore
    private let browser: BrowserSignIn

    public init(directory: any ClientDirectory, consents: any ConsentStore, browser: BrowserSignIn) {
        self.tenants = ClientAuthenticator(directory: directory)
        self.directory = directory
        self.consents = consents
        self.browser = browser
    }

    public func metadata(tenant: Tenant, issuer: String) -> [String: MetadataValue] { [:] }

    public func respond(to request: EndpointRequest, logger: Logger) async -> EndpointResponse {
        do {
            return try await process(request, logger: logger)
        } catch {
            return AuthorizationPages.failure(of: "consents page", error, logger: logger)
        }
    }

    /// Back to this page with GET after a change (relative: `/t/{tenant}/consents` and `/consents` alike).
    private static func reload(_ headers: [(name: String, value: String)] = []) -> EndpointResponse {
        .redirect(to: "consents", afterPost: true, headers: headers)
    }

    private func process(_ request: EndpointRequest, logger: Logger) async throws -> EndpointResponse {
        let tenant = try await tenants.tenant(request.tenantDomain)
        let cookie = BrowserCookie.from(request)
        let user = try await browser.user(cookie, tenantID: tenant.id)
        guard request.method == .post else {
            guard let user, let cookie else {
                let fresh = cookie ?? BrowserCookie.generate()
                return signInPage(tenant, cookie: fresh, setCookie: cookie == nil, secure: request.isSecure)
            }
            return try await listPage(tenant, user: user, cookie: cookie)
        }
        guard let cookie, cookie.accepts(csrf: request.form["csrf"]) else {
            return AuthorizationPages.error(
                "The form expired or did not come from this site. Reload the page.", status: 403)
        }
        switch request.form["action"] {
        case SignInForm.action:
            switch try await browser.signIn(request.form, tenantID: tenant.id, logger: logger) {
            case .refused(let message, let status):
                return signInPage(
                    tenant, cookie: cookie, setCookie: false, secure: request.isSecure,
                    form: SignInForm(cookie: cookie, username: request.form["username"] ?? "", error: message),
                    status: status)
            case .signedIn(_, let session):
                return Self.reload([("Set-Cookie", session.setCookie(secure: request.isSecure))])
            }
        case "revoke":
            guard let user else { return Self.reload() }
            if let key = request.form["client_id"], CredentialGenerator.isConsumerKey(key),
                let application = try await directory.application(tenantID: tenant.id, consumerKey: key)
            {
                _ = try await consents.revoke(tenantID: tenant.id, userID: user.id, applicationID: application.id)
            }
            return Self.reload()
        case "sign_out":
            if user != nil { try await browser.signOut(cookie, tenantID: tenant.id) }
            return Self.reload([("Set-Cookie", BrowserCookie.clear(secure: request.isSecure))])
        default:
            return AuthorizationPages.error("The form was not one of this page's.", status: 400)
        }
    }

    private func signInPage(
        _ tenant: Tenant, cookie: BrowserCookie, setCookie: Bool, secure: Bool, form: SignInForm? = nil,
        status: Int = 200
    ) -> EndpointResponse {
        let content: HTML = """
            <p>Sign in to <strong>\(tenant.domain)</strong> to see the applications you allowed to act for you.</p>
            \((form ?? SignInForm(cookie: cookie)).html)
            """
        return Page(title: "Your consents", content: content).response(
            status: status, headers: setCookie ? [("Set-Cookie", cookie.setCookie(secure: secure))] : [])
    }

    private func listPage(_ tenant: Tenant, user: User, cookie: BrowserCookie) async throws -> EndpointResponse {
        let granted = try await consents.consents(tenantID: tenant.id, userID: user.id)
        let sections: [HTML] = granted.map { consent in
            let scopes = consent.consent.scopes.tokens.joined(separator: " ")
            let resources = consent.consent.resources.joined(separator: " ")
            let resourceLine: HTML = resources.isEmpty ? "" : "<p>For use at <code>\(resources)</code></p>\n"
            return """
                <section aria-labelledby="client-\(consent.clientID)">
                <h2 id="client-\(consent.clientID)">\(consent.clientName)</h2>
                <p>Scopes: <code>\(scopes.isEmpty ? "(none)" : scopes)</code></p>
                \(resourceLine)<p class="note">Allowed \(Self.date(consent.consent.grantedAt)) UTC</p>
                <form method="post">
                <input type="hidden" name="csrf" value="\(cookie.csrfToken)">
                <input type="hidden" name="client_id" value="\(consent.clientID)">
                <button type="submit" name="action" value="revoke" class="secondary">Revoke \(consent.clientName)</button>
                </form>
                </section>

                """
        }
        let list: HTML =
            sections.isEmpty ? "<p>You have not allowed any application to act for you.</p>" : "\(sections)"
        let content: HTML = """
            <p>Signed in to <strong>\(tenant.domain)</strong> as <strong>\(user.username)</strong>. Revoking a consent
            stops the application's refresh tokens for you; it asks again next time.</p>
            \(list)
            <form method="post">
            <input type="hidden" name="csrf" value="\(cookie.csrfToken)">
            <button type="submit" name="action" value="sign_out" class="secondary">Sign out</button>
            </form>
            """
        return Page(title: "Your consents", content: content).response()
    }

    private static func date(_ date: Date) -> String {
        String(ISO8601DateFormatter().string(from: date).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}
