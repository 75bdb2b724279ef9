import Foundation
import HTTPTypes
import Logging
import TesseraCore
import TesseraPages

/// The console: pages for a tenant's administrators at `/t/{tenant}/console/`, one more client of the admin API.
/// Every page calls the API's operations (`AdminAPI`) in process, as the signed-in user, so an operation and its
/// checks and audit row exist once. Who may sign in: a user of the tenant with the role tenant-admin (never in the
/// system tenant, whose administrators are the CLI and clients with tessera:admin).
///
/// The session is the console's own cookie (`SameSite=Strict`, `__Host-` on HTTPS), stored hashed like the sign-in
/// pages' sessions; every form carries the CSRF token derived from it; sign-in is `UserSignIn`'s, with its throttle.
struct Console: Sendable {
    let api: AdminAPI
    let browser: BrowserSignIn
    let directory: any ClientDirectory
    let systemTenant: String

    /// What a page was asked: the request and its path below `/t/{tenant}/console/`, decoded segment by segment.
    struct Visit: Sendable {
        let request: EndpointRequest
        let path: [String]
        let tenant: Tenant
        let user: User
        let cookie: BrowserCookie
        let logger: Logger

        /// The console's root for this tenant: every link is absolute, so that any page can link to any other.
        var base: String { Console.base(tenant.domain) }
        var domain: String { tenant.domain }

        /// The days the charts cover: `?days=` when it is one of the offered spans, else 30.
        var span: Int {
            request.query["days"].flatMap { Int($0) }.flatMap { Console.spans.contains($0) ? $0 : nil } ?? 30
        }
    }

    static func base(_ domain: String) -> String { "/t/\(domain)/console" }

    /// The spans the charts offer, in days.
    static let spans = [7, 30, 90, 365]

    func respond(to request: EndpointRequest, path: [String], logger: Logger) async -> EndpointResponse {
        do {
            return try await process(request, path: path, logger: logger)
        } catch {
            let problem = AdminProblem.answering(error, logger: logger)
            return ConsolePages.message(
                "Something went wrong",
                problem.status.code >= 500
                    ? "The server could not do this now. Try again later."
                    : problem.detail, status: problem.status.code)
        }
    }

    private func process(_ request: EndpointRequest, path: [String], logger: Logger) async throws -> EndpointResponse {
        guard let domain = Tenant.normalizedDomain(request.tenantDomain),
            let tenant = try await directory.tenant(domain: domain), tenant.enabled
        else { return ConsolePages.message("Not found", "There is no such tenant.", status: 404) }
        let cookie = BrowserCookie.from(request, use: .console)
        let user = try await browser.user(cookie, tenantID: tenant.id)
        if request.method == .post {
            guard let cookie, cookie.accepts(csrf: request.form["csrf"]) else {
                return ConsolePages.message(
                    "Form expired", "The form expired or did not come from this site. Reload the page.", status: 403)
            }
            if request.form["action"] == SignInForm.action {
                return try await signIn(request, path: path, tenant: tenant, cookie: cookie, logger: logger)
            }
            if path == ["sign-out"] {
                try await browser.signOut(cookie, tenantID: tenant.id)
                return .redirect(
                    to: Self.base(tenant.domain) + "/", afterPost: true,
                    headers: [("Set-Cookie", BrowserCookie.clear(secure: request.isSecure, use: .console))])
            }
        }
        guard let user, let cookie else {
            // A POST without a session (it expired) shows the sign-in form too; nothing is done.
            let fresh = cookie ?? BrowserCookie.generate(use: .console)
            return ConsolePages.signIn(
                tenant: tenant.domain, form: SignInForm(cookie: fresh),
                setCookie: cookie == nil ? fresh.setCookie(secure: request.isSecure) : nil)
        }
        let principal = AdminPrincipal(
            tenant: tenant.domain, consoleUser: user.username, roles: user.roles, systemTenant: systemTenant)
        guard principal.reach != .nothing else {
            return ConsolePages.notAdministrator(tenant: tenant.domain, user: user.username, cookie: cookie)
        }
        let visit = Visit(request: request, path: path, tenant: tenant, user: user, cookie: cookie, logger: logger)
        return try await AdminPrincipal.$current.withValue(principal) { try await page(visit) }
    }

    /// Checks the form and starts a session; a user without the role gets no session at all.
    private func signIn(
        _ request: EndpointRequest, path: [String], tenant: Tenant, cookie: BrowserCookie, logger: Logger
    ) async throws
        -> EndpointResponse
    {
        let username = String((request.form["username"] ?? "").prefix(User.maximumUsernameLength))
        switch try await browser.signIn(request.form, tenantID: tenant.id, logger: logger) {
        case .refused(let message, let status):
            return ConsolePages.signIn(
                tenant: tenant.domain, form: SignInForm(cookie: cookie, username: username, error: message),
                status: status)
        case .signedIn(let user, let session):
            guard let signedIn = try await browser.user(session, tenantID: tenant.id),
                AdminPrincipal(
                    tenant: tenant.domain, consoleUser: user.username, roles: signedIn.roles,
                    systemTenant: systemTenant
                ).reach != .nothing
            else {
                try await browser.signOut(session, tenantID: tenant.id)
                logger.notice("console sign-in refused: not a tenant administrator")
                return ConsolePages.signIn(
                    tenant: tenant.domain,
                    form: SignInForm(
                        cookie: cookie, username: username,
                        error: tenant.domain == systemTenant
                            ? "The system tenant is administered with the tessera command, not the console."
                            : "This user does not administer \(tenant.domain). Ask an administrator for the role tenant-admin."
                    ),
                    status: 403)
            }
            // Back to the page the form was on, now with GET and the new session (an action's page: its object's).
            return .redirect(
                to: Self.base(tenant.domain) + "/" + path.prefix(2).map(ConsolePages.segment).joined(separator: "/"),
                afterPost: true,
                headers: [("Set-Cookie", session.setCookie(secure: request.isSecure))])
        }
    }

    /// The page the path names.
    private func page(_ visit: Visit) async throws -> EndpointResponse {
        let post = visit.request.method == .post
        switch (visit.path.first, post) {
        case (nil, false): return try await overview(visit)
        case ("applications", _): return try await applications(visit)
        case ("users", _): return try await users(visit)
        case ("audit", false): return try await audit(visit)
        default: return ConsolePages.message("Not found", "There is no such page.", status: 404, visit: visit)
        }
    }

    // MARK: Overview and audit

    private func overview(_ visit: Visit) async throws -> EndpointResponse {
        let path = Operations.GetTenant.Input.Path(tenant: visit.domain)
        let tenant = try await api.getTenant(.init(path: path)).ok.body.json
        let days = try await api.dailyStatistics(
            .init(path: .init(tenant: visit.domain), query: .init(days: visit.span))
        )
        .ok.body.json.days
        let registered = try await api.registeredUsers(.init(path: .init(tenant: visit.domain))).ok.body.json
            .applications
        return ConsolePages.overview(tenant: tenant, days: days, registered: registered, visit: visit)
    }

    private func audit(_ visit: Visit) async throws -> EndpointResponse {
        let events = try await api.listAuditEvents(
            .init(path: .init(tenant: visit.domain), query: .init(limit: 200))
        ).ok.body.json.events
        return ConsolePages.audit(events, visit: visit)
    }
}
