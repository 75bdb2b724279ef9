import Foundation
import Logging
import TesseraCore
import TesseraPages

/// The pages of the authorization endpoint: an error, sign-in, consent.
enum AuthorizationPages {
    /// A page for what cannot go back to the client.
    static func error(_ message: String, status: Int) -> EndpointResponse {
        Page(title: "This request cannot continue", content: "<p class=\"error\" role=\"alert\">\(message)</p>")
            .response(status: status)
    }

    /// The page for a failure of `page`'s work: a refusal's own message, an unknown tenant, the database out of
    /// reach, or anything else as a logged 500 without internals.
    static func failure(of page: String, _ error: any Error, logger: Logger) -> EndpointResponse {
        switch error {
        case AuthorizationFailure.page(let status, let message):
            return Self.error(message, status: status)
        case let error as OAuthError where error.code == .notFound:
            return Self.error("There is no such tenant.", status: 404)
        case is StoreUnavailableError:
            return Self.error("The service is temporarily unavailable; try again in a moment.", status: 503)
        default:
            // The type only: a database error's text can hold the row it refused.
            logger.error("\(page) failed", metadata: ["error": "\(type(of: error))"])
            return Self.error("The server could not complete the request.", status: 500)
        }
    }

    /// The request's parameters as hidden fields, for the next form to carry.
    static func carried(_ parameters: TokenRequestParameters) -> HTML {
        var fields: [HTML] = []
        for name in AuthorizationRequest.parameterNames {
            for value in parameters.all(name) {
                fields.append("<input type=\"hidden\" name=\"\(name)\" value=\"\(value)\">\n")
            }
        }
        return "\(fields)"
    }
}

/// What every page of one authorization request shows and carries.
struct PageContext: Sendable {
    let tenant: Tenant
    let authorization: AuthorizationRequest
    let carried: HTML
    let declared: [ProtectedResource]
    let secure: Bool

    /// The client's redirect URI's origin, where a form of these pages may lead (through the redirect that answers
    /// it).
    var formTargets: [String] { ClientRedirect.origin(of: authorization.redirectURI).map { [$0] } ?? [] }

    func signIn(
        cookie: BrowserCookie, setCookie: Bool, username: String = "", error: String? = nil, status: Int = 200
    ) -> EndpointResponse {
        let form = SignInForm(cookie: cookie, carried: carried, username: username, error: error)
        let content: HTML = """
            <p>Sign in to <strong>\(tenant.domain)</strong> to continue to <strong>\(authorization.client.displayName)</strong>\(unverified).</p>
            \(form.html)
            """
        return Page(title: "Sign in", content: content).response(
            status: status, formTargets: formTargets,
            headers: setCookie ? [("Set-Cookie", cookie.setCookie(secure: secure))] : [])
    }

    /// For a client known by its metadata document: its name is its own claim, and only the document's host is known.
    var unverified: HTML {
        let client = authorization.client
        guard client.knownByDocument else { return "" }
        let host = URLComponents(string: client.consumerKey)?.host ?? client.consumerKey
        return " <span class=\"unverified\">(unverified: published by \(host))</span>"
    }

    func consent(user: User, cookie: BrowserCookie, setCookie: Bool) -> EndpointResponse {
        let client = authorization.client
        let scopes: [HTML] = authorization.scopes.tokens.sorted().map { "<li><code>\($0)</code></li>\n" }
        let resources: [HTML] = authorization.resources.map { uri in
            let name = declared.first { $0.uri == uri }?.name
            return name.map { "<li>\($0) <code>\(uri)</code></li>\n" } ?? "<li><code>\(uri)</code></li>\n"
        }
        let scopeList: HTML =
            scopes.isEmpty ? "<p>No particular permission (no scope).</p>" : "<ul>\(scopes)</ul>"
        let resourceList: HTML =
            resources.isEmpty ? "" : "<h2>For use at</h2>\n<ul>\(resources)</ul>"
        let content: HTML = """
            <p><strong>\(client.displayName)</strong>\(unverified) asks to act for you, <strong>\(user.username)</strong>, at \(tenant.domain).</p>
            <h2>It asks for</h2>
            \(scopeList)
            \(resourceList)
            <p class="note">If you allow it, you will be sent back to <code>\(authorization.redirectURI)</code>.</p>
            <form method="post">
            <input type="hidden" name="csrf" value="\(cookie.csrfToken)">
            \(carried)
            <button type="submit" name="action" value="approve">Allow</button>
            <button type="submit" name="action" value="deny" class="secondary">Deny</button>
            </form>
            <form method="post">
            <input type="hidden" name="csrf" value="\(cookie.csrfToken)">
            \(carried)
            <button type="submit" name="action" value="switch_user" class="secondary">Sign in as someone else</button>
            </form>
            """
        return Page(title: "Allow \(client.displayName)?", content: content).response(
            formTargets: formTargets, headers: setCookie ? [("Set-Cookie", cookie.setCookie(secure: secure))] : [])
    }
}
