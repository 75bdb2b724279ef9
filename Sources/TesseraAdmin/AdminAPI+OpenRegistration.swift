import Foundation
import HTTPTypes
import TesseraPostgres

// A tenant's open client registration (`RegistrationRoutes` without an initial access token), as `tessera tenant
// registration` shows and changes it. A tenant administrator may open its own tenant's.
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
