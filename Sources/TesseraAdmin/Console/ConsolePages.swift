import Foundation
import TesseraCore
import TesseraPages

/// The console's pages as HTML: what each shows, never what it does (that is `Console`'s, through the admin API).
/// Every value is interpolated into `HTML`, so it is escaped; every form carries the session's CSRF token.
enum ConsolePages {
    typealias Visit = Console.Visit

    // MARK: Frame

    static func page(
        _ title: String, _ content: HTML, visit: Visit?, status: Int = 200, copyButtons: Bool = false,
        headers: [(name: String, value: String)] = []
    ) -> EndpointResponse {
        Page(title: title, content: content, header: visit.map(navigation), copyButtons: copyButtons)
            .response(status: status, headers: headers)
    }

    static func navigation(_ visit: Visit) -> HTML {
        """
        <nav aria-label="Console">
        <strong>\(visit.domain)</strong>
        <a href="\(visit.base)/">Overview</a>
        <a href="\(visit.base)/applications">Applications</a>
        <a href="\(visit.base)/users">Users</a>
        <a href="\(visit.base)/audit">Audit trail</a>
        <form method="post" action="\(visit.base)/sign-out">\(csrf(visit))<button type="submit" class="secondary">Sign out \(visit.user.username)</button></form>
        </nav>
        """
    }

    static func csrf(_ visit: Visit) -> HTML {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(visit.cookie.csrfToken)\">"
    }

    static func message(_ title: String, _ text: String, status: Int, visit: Visit? = nil) -> EndpointResponse {
        page(title, "<p role=\"alert\">\(text)</p>", visit: visit, status: status)
    }

    static func signIn(tenant: String, form: SignInForm, setCookie: String? = nil, status: Int = 200)
        -> EndpointResponse
    {
        Page(
            title: "Sign in to the console",
            content: """
                <p>Tenant <strong>\(tenant)</strong>. Administrators of the tenant sign in with their username and password.</p>
                \(form.html)
                <form method="get" action="/console/"><label for="tenant">Another tenant</label>
                <input id="tenant" name="tenant" type="text" value="\(tenant)" autocomplete="off">
                <button type="submit" class="secondary">Go</button></form>
                """
        ).response(status: status, headers: setCookie.map { [("Set-Cookie", $0)] } ?? [])
    }

    /// `/console/` on a server without a default tenant, or asked for a name that is not a domain.
    static func chooseTenant(asked: String?) -> EndpointResponse {
        Page(
            title: "Console",
            content: """
                \(asked == nil ? "" : error("That is not a tenant's domain."))<form method="get" action="/console/">
                <label for="tenant">Tenant</label>
                <input id="tenant" name="tenant" type="text" required autofocus value="\(asked ?? "")" autocomplete="off">
                <button type="submit">Go to its console</button></form>
                """
        ).response(status: asked == nil ? 200 : 404)
    }

    static func notAdministrator(tenant: String, user: String, cookie: BrowserCookie) -> EndpointResponse {
        Page(
            title: "Not an administrator",
            content: """
                <p role="alert">\(user) no longer administers \(tenant).</p>
                <form method="post" action="\(Console.base(tenant))/sign-out">
                <input type="hidden" name="csrf" value="\(cookie.csrfToken)">
                <button type="submit">Sign out</button></form>
                """
        ).response(status: 403)
    }

    // MARK: Overview and audit

    static func overview(
        tenant: Components.Schemas.Tenant, days: [Components.Schemas.DailyActivity],
        registered: [Components.Schemas.RegisteredUsers], visit: Visit
    ) -> EndpointResponse {
        let rows: [HTML] = registered.map {
            "<tr><td><a href=\"\(applicationURL($0.consumerKey, visit))\">\($0.application)</a></td><td>\($0.registeredUsers)</td><td>\($0.active30Days)</td></tr>\n"
        }
        return page(
            "Tenant \(tenant.domain)",
            """
            <p>\(tenant.applications) applications. Signed in as \(visit.user.username).</p>
            <h2>Tokens per day, all applications, last \(visit.span) days</h2>
            \(spans(visit.base + "/", visit))
            \(tokenChart(days))
            <h2>Registered users per application</h2>
            <table><thead><tr><th scope="col">Application</th><th scope="col">Registered users</th><th scope="col">Active in 30 days</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            """, visit: visit)
    }

    static func audit(_ events: [Components.Schemas.AuditEvent], visit: Visit) -> EndpointResponse {
        let rows: [HTML] = events.map {
            "<tr><td>\(date($0.at))</td><td>\($0.actor)</td><td>\($0.operation)</td><td>\($0.target)</td><td>\($0.outcome)</td></tr>\n"
        }
        return page(
            "Audit trail",
            """
            <p>What administrators did to \(visit.domain), newest last (at most 200).</p>
            <table><thead><tr><th scope="col">At</th><th scope="col">Actor</th><th scope="col">Operation</th><th scope="col">Target</th><th scope="col">Outcome</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            """, visit: visit)
    }

    // MARK: Charts

    static func tokenChart(_ days: [Components.Schemas.DailyActivity]) -> HTML {
        DailyChart(
            title: "Tokens per day",
            days: days.map(\.day),
            series: [
                .init(name: "issued", color: "#1f4fd1", values: days.map { Int($0.issued) }),
                .init(name: "refused", color: "#c0392b", values: days.map { Int($0.failed) }),
            ]
        ).html
    }

    static func registeredUsersChart(_ days: [Components.Schemas.DailyActivity]) -> HTML {
        DailyChart(
            title: "Registered users",
            days: days.map(\.day),
            series: [.init(name: "registered users", color: "#2e7d32", values: days.map { Int($0.registeredUsers) })]
        ).html
    }

    // MARK: Helpers

    /// Links to the same page over the other spans the charts offer.
    static func spans(_ url: String, _ visit: Visit) -> HTML {
        let links: [HTML] = Console.spans.map { days in
            days == visit.span
                ? "<strong aria-current=\"page\">\(days) days</strong> "
                : "<a href=\"\(url)?days=\(days)\">\(days) days</a> "
        }
        return "<p class=\"note\">Show: \(links)</p>"
    }

    /// A path segment: consumer keys may be URLs (metadata documents) and usernames may hold any printable text.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func applicationURL(_ key: String, _ visit: Visit) -> String {
        "\(visit.base)/applications/\(segment(key))"
    }

    static func userURL(_ username: String, _ visit: Visit) -> String { "\(visit.base)/users/\(segment(username))" }

    static func date(_ date: Date) -> String { date.formatted(.iso8601) }

    static func notice(_ text: String?) -> HTML {
        text.map { "<p class=\"notice\" role=\"status\">\($0)</p>" } ?? ""
    }

    static func error(_ text: String?) -> HTML {
        text.map { "<p class=\"error\" role=\"alert\" id=\"form-error\">\($0)</p>" } ?? ""
    }

    static func list(_ values: [String]) -> HTML {
        values.isEmpty ? "none" : "\(values.joined(separator: ", "))"
    }
}
