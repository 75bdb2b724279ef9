import Foundation
import HTTPTypes
import TesseraCore

// The applications' pages: the list, creation (the secret shown once), one application with its keys, secrets and
// charts, and what can be done to it.
extension Console {
    /// Applications a list page shows at a time.
    static let pageSize = 20

    func applications(_ visit: Visit) async throws -> EndpointResponse {
        let (rest, post, domain) = (Array(visit.path.dropFirst()), visit.request.method == .post, visit.domain)
        switch (rest.count, post) {
        case (0, false):
            let (search, after) = (visit.request.query["search"].flatMap(Self.nonEmpty), visit.request.query["after"])
            let page = try await api.listApplications(
                .init(
                    path: .init(tenant: domain),
                    query: .init(limit: Self.pageSize, after: after.flatMap(Self.nonEmpty), search: search))
            ).ok.body.json
            return ConsolePages.applications(page, search: search, visit: visit)
        case (1, false) where rest[0] == "new":
            return ConsolePages.newApplication(visit: visit)
        case (1, true) where rest[0] == "new":
            return try await create(visit)
        case (1, false):
            return try await application(rest[0], visit, done: visit.request.query["done"])
        case (2, true):
            return try await act(rest[1], on: rest[0], visit)
        default:
            return ConsolePages.message("Not found", "There is no such page.", status: 404, visit: visit)
        }
    }

    private func application(_ key: String, _ visit: Visit, done: String?) async throws -> EndpointResponse {
        let path = Operations.GetApplication.Input.Path(tenant: visit.domain, consumerKey: key)
        let application = try await api.getApplication(.init(path: path)).ok.body.json
        let secrets = try await api.listApplicationSecrets(
            .init(path: .init(tenant: visit.domain, consumerKey: key))
        ).ok.body.json.secrets
        let days = try await api.dailyStatistics(
            .init(path: .init(tenant: visit.domain), query: .init(consumerKey: key, days: visit.span))
        ).ok.body.json.days
        return ConsolePages.application(application, secrets: secrets, days: days, done: done, visit: visit)
    }

    /// The form's fields as the admin API's creation request; its checks are the API's.
    private func create(_ visit: Visit) async throws -> EndpointResponse {
        let form = visit.request.form
        let grants = form.all("grant_type")
        let words = { (name: String) -> [String]? in
            form[name].map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }.flatMap {
                $0.isEmpty ? nil : $0
            }
        }
        var creation = Components.Schemas.ApplicationCreation(name: form["name"] ?? "")
        creation.grantTypes = grants.isEmpty ? nil : grants
        creation.scopes = words("scopes")
        creation.defaultScopes = creation.scopes
        creation.resources = words("resources")
        creation.redirectUris = words("redirect_uris")
        creation.tokenValidity = form["token_validity"].flatMap(Self.nonEmpty).flatMap { Int($0) }
        creation.tokenFormat = form["token_format"].flatMap(
            Components.Schemas.ApplicationCreation.TokenFormatPayload.init(rawValue:))
        do {
            let created = try await api.createApplication(
                .init(path: .init(tenant: visit.domain), body: .json(creation))
            ).created.body.json
            return ConsolePages.createdApplication(created, visit: visit)
        } catch {
            // A refusal shows the form again, filled in, with the API's reason.
            let problem = AdminProblem.answering(error, logger: visit.logger)
            guard problem.status.code < 500 else { throw error }
            return ConsolePages.newApplication(
                visit: visit, form: form, error: problem.detail, status: problem.status.code)
        }
    }

    /// An application's buttons: each posts here, then the page shows what happened (a new secret only once).
    private func act(_ action: String, on key: String, _ visit: Visit) async throws -> EndpointResponse {
        let done: String
        switch action {
        case "rotate-secret":
            let grace = visit.request.form["grace_seconds"].flatMap { Int($0) } ?? 0
            let rotation = try await api.rotateApplicationSecret(
                .init(
                    path: .init(tenant: visit.domain, consumerKey: key),
                    body: .json(.init(graceSeconds: grace, revokeTokens: visit.request.form["revoke_tokens"] == "on")))
            ).ok.body.json
            return ConsolePages.rotatedSecret(rotation, visit: visit)
        case "disable":
            _ = try await api.disableApplication(.init(path: .init(tenant: visit.domain, consumerKey: key))).ok
            done = "disabled"
        case "enable":
            _ = try await api.enableApplication(.init(path: .init(tenant: visit.domain, consumerKey: key))).ok
            done = "enabled"
        case "revoke-tokens":
            _ = try await api.revokeApplicationTokens(
                .init(path: .init(tenant: visit.domain, consumerKey: key), body: .json(.init()))
            ).noContent
            done = "revoked"
        default:
            return ConsolePages.message("Not found", "There is no such action.", status: 404, visit: visit)
        }
        return .redirect(to: ConsolePages.applicationURL(key, visit) + "?done=\(done)", afterPost: true)
    }

    static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }
}
