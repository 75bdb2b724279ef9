import Foundation
import HTTPTypes
import TesseraCore

// The users' pages: the list with the creation form, one user, and enabling, disabling and roles.
extension Console {
    func users(_ visit: Visit) async throws -> EndpointResponse {
        let (rest, post, domain) = (Array(visit.path.dropFirst()), visit.request.method == .post, visit.domain)
        switch (rest.count, post) {
        case (0, false):
            return try await userList(visit, form: nil, error: nil, status: 200)
        case (0, true):
            return try await createUser(visit)
        case (1, false):
            let user = try await api.getUser(.init(path: .init(tenant: domain, username: rest[0]))).ok.body.json
            let consents = try await api.listConsents(.init(path: .init(tenant: domain, username: user.username)))
                .ok.body.json.consents
            return ConsolePages.user(user, consents: consents, done: visit.request.query["done"], visit: visit)
        case (3, true) where rest[1] == "consents" && rest[2] == "revoke":
            // The form names the application in its body: a consumer key may be a URL (a metadata document).
            let key = visit.request.form["client_id"] ?? ""
            _ = try await api.revokeConsent(
                .init(path: .init(tenant: domain, username: rest[0], clientId: key))
            ).noContent
            return .redirect(to: ConsolePages.userURL(rest[0], visit) + "?done=consent", afterPost: true)
        case (2, true):
            let username = rest[0]
            let yourself = username.lowercased() == visit.user.username.lowercased()
            let done: String
            switch rest[1] {
            case "disable" where yourself:
                return ConsolePages.message(
                    "Not changed", "You cannot disable yourself; ask another administrator.", status: 400, visit: visit)
            case "disable":
                _ = try await api.disableUser(.init(path: .init(tenant: domain, username: username))).ok
                done = "disabled"
            case "enable":
                _ = try await api.enableUser(.init(path: .init(tenant: domain, username: username))).ok
                done = "enabled"
            case "roles":
                let roles: [Components.Schemas.UserRole] =
                    visit.request.form["tenant_admin"] == "on" ? [.tenantAdmin] : []
                if roles.isEmpty, yourself {
                    return ConsolePages.message(
                        "Not changed", "You cannot remove your own administrator role; ask another administrator.",
                        status: 400, visit: visit)
                }
                _ = try await api.setUserRoles(
                    .init(path: .init(tenant: domain, username: username), body: .json(.init(roles: roles)))
                ).ok
                done = "roles"
            default:
                return ConsolePages.message("Not found", "There is no such action.", status: 404, visit: visit)
            }
            return .redirect(to: ConsolePages.userURL(username, visit) + "?done=\(done)", afterPost: true)
        default:
            return ConsolePages.message("Not found", "There is no such page.", status: 404, visit: visit)
        }
    }

    private func userList(_ visit: Visit, form: TokenRequestParameters?, error: String?, status: Int) async throws
        -> EndpointResponse
    {
        let after = visit.request.query["after"].flatMap(Self.nonEmpty)
        let page = try await api.listUsers(
            .init(path: .init(tenant: visit.domain), query: .init(limit: Self.pageSize, after: after))
        ).ok.body.json
        return ConsolePages.users(page, form: form, error: error, status: status, visit: visit)
    }

    private func createUser(_ visit: Visit) async throws -> EndpointResponse {
        let form = visit.request.form
        let creation = Components.Schemas.UserCreation(
            username: form["username"] ?? "", password: form["password"] ?? "",
            roles: form["tenant_admin"] == "on" ? [.tenantAdmin] : nil)
        do {
            let user = try await api.createUser(.init(path: .init(tenant: visit.domain), body: .json(creation)))
                .created.body.json
            return .redirect(to: ConsolePages.userURL(user.username, visit) + "?done=created", afterPost: true)
        } catch {
            let problem = AdminProblem.answering(error, logger: visit.logger)
            guard problem.status.code < 500 else { throw error }
            return try await userList(visit, form: form, error: problem.detail, status: problem.status.code)
        }
    }
}
