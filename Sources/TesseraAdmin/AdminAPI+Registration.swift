import Foundation
import HTTPTypes
import TesseraPostgres

// Dynamic client registration's administration (`RegistrationRoutes`): initial access tokens, as `tessera app
// registration-token` makes, lists and revokes them, and a tenant's open registration, as `tessera tenant
// registration` shows and changes it. A tenant administrator may do either for its own tenant.
extension AdminAPI {
    func showOpenRegistration(_ input: Operations.ShowOpenRegistration.Input) async throws
        -> Operations.ShowOpenRegistration.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        let policy = try await database { try await administration.openRegistration(tenant: domain) }
        return .ok(.init(body: .json(.init(policy))))
    }

    func openRegistration(_ input: Operations.OpenRegistration.Input) async throws
        -> Operations.OpenRegistration.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let policy = try OpenRegistration(
            scopes: body.scopes, perHour: body.perHour ?? OpenRegistration.defaultPerHour)
        try await database { try await administration.setOpenRegistration(tenant: domain, policy) }
        return .ok(.init(body: .json(.init(policy))))
    }

    func closeRegistration(_ input: Operations.CloseRegistration.Input) async throws
        -> Operations.CloseRegistration.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        try await database { try await administration.setOpenRegistration(tenant: domain, nil) }
        return .ok(.init(body: .json(.init(nil))))
    }
}

extension AdminAPI {
    func createRegistrationToken(_ input: Operations.CreateRegistrationToken.Input) async throws
        -> Operations.CreateRegistrationToken.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        var (uses, lifetime) = (1, 86_400)
        if case .json(let body) = input.body {
            (uses, lifetime) = (body.uses ?? uses, body.expiresIn ?? lifetime)
        }
        let (token, id, expiresAt) = try await database { [uses, lifetime] in
            try await administration.createRegistrationToken(tenant: domain, uses: uses, lifetime: lifetime)
        }
        return .created(.init(body: .json(.init(token: token, id: id, uses: uses, expiresAt: expiresAt))))
    }

    func listRegistrationTokens(_ input: Operations.ListRegistrationTokens.Input) async throws
        -> Operations.ListRegistrationTokens.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        let tokens = try await database { try await administration.registrationTokens(tenant: domain) }
        return .ok(
            .init(
                body: .json(
                    .init(
                        tokens: tokens.map {
                            .init(id: $0.id, usesLeft: $0.usesLeft, expiresAt: $0.expiresAt, createdAt: $0.createdAt)
                        }))))
    }

    func revokeRegistrationToken(_ input: Operations.RevokeRegistrationToken.Input) async throws
        -> Operations.RevokeRegistrationToken.Output
    {
        let (domain, id) = (input.path.tenant, input.path.id)
        let administration = try administration(of: domain)
        try await database { try await administration.revokeRegistrationToken(tenant: domain, id: id) }
        return .noContent(.init())
    }
}

// Clients known by a Client ID Metadata Document, as `tessera tenant client-documents` shows and changes the rule.
extension AdminAPI {
    func showClientDocuments(_ input: Operations.ShowClientDocuments.Input) async throws
        -> Operations.ShowClientDocuments.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        let settings = try await database { try await administration.clientDocuments(tenant: domain) }
        return .ok(.init(body: .json(.init(accepted: settings.accepted, scopes: settings.scopes))))
    }

    func setClientDocuments(_ input: Operations.SetClientDocuments.Input) async throws
        -> Operations.SetClientDocuments.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let settings = try await database {
            try await administration.setClientDocuments(tenant: domain, accepted: body.accepted, scopes: body.scopes)
        }
        return .ok(.init(body: .json(.init(accepted: settings.accepted, scopes: settings.scopes))))
    }
}
