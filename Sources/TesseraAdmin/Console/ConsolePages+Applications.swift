import Foundation
import TesseraCore
import TesseraPages

extension ConsolePages {
    static func applications(_ page: Components.Schemas.ApplicationPage, search: String?, visit: Visit)
        -> EndpointResponse
    {
        let rows: [HTML] = page.applications.map {
            """
            <tr><td><a href="\(applicationURL($0.consumerKey, visit))">\($0.name)</a></td><td><code>\($0.consumerKey)</code></td>\
            <td>\(list($0.grantTypes))</td><td>\($0.tokenFormat.rawValue)</td><td>\($0.enabled ? "enabled" : "disabled")</td></tr>

            """
        }
        var more: HTML = ""
        if let next = page.next {
            var query = "after=\(segment(next))"
            if let search { query += "&search=\(segment(search))" }
            more = "<p><a href=\"\(visit.base)/applications?\(query)\" rel=\"next\">Next page</a></p>"
        }
        return self.page(
            "Applications",
            """
            <p><a href="\(visit.base)/applications/new">Create an application</a></p>
            <form method="get" action="\(visit.base)/applications" role="search">
            <label for="search">Name contains</label>
            <input id="search" name="search" type="search" maxlength="100" value="\(search ?? "")">
            <button type="submit">Search</button></form>
            <table><thead><tr><th scope="col">Name</th><th scope="col">Consumer key</th><th scope="col">Grant types</th><th scope="col">Token format</th><th scope="col">State</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            \(page.applications.isEmpty ? "<p>No application matches.</p>" : "")\(more)
            """, visit: visit)
    }

    /// The creation form; after a refusal, filled in as it was sent.
    static func newApplication(
        visit: Visit, form: TokenRequestParameters = TokenRequestParameters(), error: String? = nil, status: Int = 200
    ) -> EndpointResponse {
        let chosen = Set(form.all("grant_type"))
        let grants: [HTML] = ["client_credentials", "password", "refresh_token", "authorization_code"].map { grant in
            let checked = chosen.isEmpty ? grant == "client_credentials" : chosen.contains(grant)
            return """
                <label><input type="checkbox" name="grant_type" value="\(grant)"\(checked ? HTML(trusted: " checked") : "")> \(grant)</label>

                """
        }
        let jwt = form["token_format"] == "jwt"
        return page(
            "Create an application",
            """
            \(ConsolePages.error(error))<form method="post" action="\(visit.base)/applications/new">
            \(csrf(visit))
            <label for="name">Name</label>
            <input id="name" name="name" type="text" required maxlength="200" value="\(form["name"] ?? "")">
            <fieldset><legend>Grant types</legend>
            \(grants)</fieldset>
            <label for="scopes">Scopes (space-separated; default: <code>default</code>)</label>
            <input id="scopes" name="scopes" type="text" value="\(form["scopes"] ?? "")">
            <label for="token_format">Token format</label>
            <select id="token_format" name="token_format">
            <option value="opaque"\(jwt ? "" : HTML(trusted: " selected"))>opaque</option>
            <option value="jwt"\(jwt ? HTML(trusted: " selected") : "")>JWT (RFC 9068)</option></select>
            <label for="token_validity">Token lifetime in seconds (default 3600)</label>
            <input id="token_validity" name="token_validity" type="number" min="1" value="\(form["token_validity"] ?? "")">
            <label for="resources">Resources (space-separated URIs; the tokens' audience)</label>
            <input id="resources" name="resources" type="text" value="\(form["resources"] ?? "")">
            <label for="redirect_uris">Redirect URIs (space-separated; for the authorization code grant)</label>
            <input id="redirect_uris" name="redirect_uris" type="text" value="\(form["redirect_uris"] ?? "")">
            <button type="submit">Create and generate keys</button>
            </form>
            """, visit: visit, status: status)
    }

    /// The new application's consumer key and secret: the secret is shown here only, never again.
    static func createdApplication(_ created: Components.Schemas.CreatedApplication, visit: Visit) -> EndpointResponse {
        let application = created.application
        return page(
            "Keys of \(application.name)",
            """
            <p class="notice" role="status">The application was created. Copy the secret now: it is not shown again.</p>
            \(keys(key: application.consumerKey, secret: created.consumerSecret))
            <p><a href="\(applicationURL(application.consumerKey, visit))">Open the application</a></p>
            """, visit: visit, copyButtons: true)
    }

    static func rotatedSecret(_ rotation: Components.Schemas.SecretRotation, visit: Visit) -> EndpointResponse {
        let grace: HTML =
            rotation.previousSecretExpiresAt.map { "<p>The previous secret works until \(date($0)).</p>" }
            ?? "<p>The previous secret no longer works.</p>"
        return page(
            "New secret",
            """
            <p class="notice" role="status">The secret was rotated. Copy the new secret now: it is not shown again.</p>
            \(keys(key: rotation.consumerKey, secret: rotation.consumerSecret))
            \(grace)
            <p><a href="\(applicationURL(rotation.consumerKey, visit))">Back to the application</a></p>
            """, visit: visit, copyButtons: true)
    }

    private static func keys(key: String, secret: String?) -> HTML {
        let secretField: HTML =
            secret.map {
                """
                <label for="consumer-secret">Consumer secret</label>
                <input id="consumer-secret" class="secret" type="text" readonly value="\($0)" autocomplete="off">
                <button type="button" data-copy="consumer-secret" hidden>Copy the secret</button>
                """
            } ?? "<p>This application has no secret: it authenticates with its keys (private_key_jwt) or none.</p>"
        return """
            <label for="consumer-key">Consumer key</label>
            <input id="consumer-key" class="secret" type="text" readonly value="\(key)">
            <button type="button" data-copy="consumer-key" hidden>Copy the key</button>
            \(secretField)
            """
    }

    static func application(
        _ application: Components.Schemas.Application, secrets: [Components.Schemas.SecretInfo],
        days: [Components.Schemas.DailyActivity], done: String?, visit: Visit
    ) -> EndpointResponse {
        let url = applicationURL(application.consumerKey, visit)
        let secretRows: [HTML] = secrets.map {
            "<tr><td>\($0.secret.rawValue)</td><td>\($0.createdAt.map(date) ?? "")</td><td>\($0.expiresAt.map(date) ?? "never")</td></tr>\n"
        }
        let toggle: HTML =
            application.enabled
            ? "<form method=\"post\" action=\"\(url)/disable\">\(csrf(visit))<button type=\"submit\" class=\"secondary\">Disable</button></form>"
            : "<form method=\"post\" action=\"\(url)/enable\">\(csrf(visit))<button type=\"submit\">Enable</button></form>"
        let messages = [
            "disabled": "The application was disabled: its tokens stop being active at once.",
            "enabled": "The application was enabled.", "revoked": "Every token of the application was revoked.",
        ]
        return page(
            application.name,
            """
            \(notice(done.flatMap { messages[$0] }))<dl>
            <dt>Consumer key</dt><dd><code>\(application.consumerKey)</code></dd>
            <dt>State</dt><dd>\(application.enabled ? "enabled" : "disabled")</dd>
            <dt>Grant types</dt><dd>\(list(application.grantTypes))</dd>
            <dt>Scopes</dt><dd>\(list(application.scopes))</dd>
            <dt>Token format</dt><dd>\(application.tokenFormat.rawValue)</dd>
            <dt>Token lifetime</dt><dd>\(application.tokenValidity) s (at most \(application.maxTokenValidity) s)</dd>
            <dt>Resources</dt><dd>\(list(application.resources))</dd>
            <dt>Redirect URIs</dt><dd>\(list(application.redirectUris))</dd>
            <dt>Client authentication</dt><dd>\(list(application.authMethods))</dd>
            <dt>Client keys (kid)</dt><dd>\(list(application.keyIds))\(application.jwksUri.map { " (published at \($0))" as HTML } ?? "")</dd>
            <dt>Created</dt><dd>\(date(application.createdAt))</dd>
            </dl>
            <h2>Secrets</h2>
            <table><thead><tr><th scope="col">Secret</th><th scope="col">Created</th><th scope="col">Expires</th></tr></thead>
            <tbody>
            \(secretRows)</tbody></table>
            <h2>Actions</h2>
            <form method="post" action="\(url)/rotate-secret">\(csrf(visit))
            <label for="grace_seconds">Keep the current secret working for</label>
            <select id="grace_seconds" name="grace_seconds">
            <option value="0">no time: it stops now</option><option value="3600" selected>1 hour</option>
            <option value="86400">1 day</option><option value="604800">7 days</option></select>
            <label><input type="checkbox" name="revoke_tokens"> Also revoke the tokens issued so far</label>
            <button type="submit">Rotate the secret</button></form>
            <div class="actions">
            \(toggle)
            <form method="post" action="\(url)/revoke-tokens">\(csrf(visit))<button type="submit" class="secondary">Revoke all its tokens</button></form>
            </div>
            <h2>Usage, last \(visit.span) days</h2>
            \(spans(url, visit))
            \(tokenChart(days))
            \(registeredUsersChart(days))
            """, visit: visit)
    }
}
