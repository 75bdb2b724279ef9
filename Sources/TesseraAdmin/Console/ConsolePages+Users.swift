import Foundation
import TesseraCore
import TesseraPages

extension ConsolePages {
    static func users(
        _ page: Components.Schemas.UserPage, form: TokenRequestParameters?, error: String?, status: Int, visit: Visit
    ) -> EndpointResponse {
        let rows: [HTML] = page.users.map {
            """
            <tr><td><a href="\(userURL($0.username, visit))">\($0.username)</a></td>\
            <td>\($0.enabled ? "enabled" : "disabled")</td><td>\(list($0.roles.map(\.rawValue)))</td><td>\(date($0.createdAt))</td></tr>

            """
        }
        let more: HTML =
            page.next.map { "<p><a href=\"\(visit.base)/users?after=\(segment($0))\" rel=\"next\">Next page</a></p>" }
            ?? ""
        return self.page(
            "Users",
            """
            <table><thead><tr><th scope="col">Username</th><th scope="col">State</th><th scope="col">Roles</th><th scope="col">Created</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            \(more)
            <h2>Create a user</h2>
            \(ConsolePages.error(error))<form method="post" action="\(visit.base)/users">
            \(csrf(visit))
            <label for="new-username">Username</label>
            <input id="new-username" name="username" type="text" required maxlength="200" autocomplete="off" value="\(form?["username"] ?? "")">
            <label for="new-password">Password</label>
            <input id="new-password" name="password" type="password" required maxlength="72" autocomplete="new-password">
            <label><input type="checkbox" name="tenant_admin"\(form?["tenant_admin"] == "on" ? HTML(trusted: " checked") : "")> Administers the tenant (signs in here)</label>
            <button type="submit">Create the user</button>
            </form>
            """, visit: visit, status: status)
    }

    static func user(
        _ user: Components.Schemas.User, consents: [Components.Schemas.Consent], done: String?, visit: Visit
    ) -> EndpointResponse {
        let url = userURL(user.username, visit)
        let admin = user.roles.contains(.tenantAdmin)
        let toggle: HTML =
            user.enabled
            ? "<form method=\"post\" action=\"\(url)/disable\">\(csrf(visit))<button type=\"submit\" class=\"secondary\">Disable</button></form>"
            : "<form method=\"post\" action=\"\(url)/enable\">\(csrf(visit))<button type=\"submit\">Enable</button></form>"
        let messages = [
            "created": "The user was created.", "disabled": "The user was disabled: sign-ins are refused at once.",
            "enabled": "The user was enabled.", "roles": "The roles were changed.",
            "consent": "The consent was revoked, with the application's refresh tokens for this user.",
        ]
        let consentRows: [HTML] = consents.map {
            """
            <tr><td>\($0.clientName)</td><td>\(list($0.scopes))</td><td>\(list($0.resources))</td><td>\(date($0.grantedAt))</td>\
            <td><form method="post" action="\(url)/consents/revoke">\(csrf(visit))\
            <input type="hidden" name="client_id" value="\($0.clientId)">\
            <button type="submit" class="secondary">Revoke</button></form></td></tr>

            """
        }
        return page(
            user.username,
            """
            \(notice(done.flatMap { messages[$0] }))<dl>
            <dt>State</dt><dd>\(user.enabled ? "enabled" : "disabled")</dd>
            <dt>Roles</dt><dd>\(list(user.roles.map(\.rawValue)))</dd>
            <dt>Created</dt><dd>\(date(user.createdAt))</dd>
            </dl>
            <div class="actions">\(toggle)</div>
            <h2>Roles</h2>
            <form method="post" action="\(url)/roles">\(csrf(visit))
            <label><input type="checkbox" name="tenant_admin"\(admin ? HTML(trusted: " checked") : "")> Administers the tenant (signs in to the console)</label>
            <button type="submit">Save the roles</button></form>
            <h2>Consents</h2>
            <p>What the user allowed applications at the authorization endpoint.</p>
            <table><thead><tr><th scope="col">Application</th><th scope="col">Scopes</th><th scope="col">Resources</th><th scope="col">Granted</th><th scope="col">Revoke</th></tr></thead>
            <tbody>
            \(consentRows)</tbody></table>
            \(consents.isEmpty ? "<p>None.</p>" : "")
            """, visit: visit)
    }
}
