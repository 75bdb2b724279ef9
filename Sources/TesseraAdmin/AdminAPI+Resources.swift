import Foundation
import HTTPTypes
import TesseraPostgres

// The resources a tenant protects, as `tessera resource` declares, lists and removes them.
extension AdminAPI {
    func listResources(_ input: Operations.ListResources.Input) async throws -> Operations.ListResources.Output {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        let resources = try await database { try await administration.resources(tenant: domain) }
        return .ok(.init(body: .json(.init(resources: resources.map(Components.Schemas.Resource.init)))))
    }

    func addResource(_ input: Operations.AddResource.Input) async throws -> Operations.AddResource.Output {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let resource = try await database {
            try await administration.addResource(tenant: domain, uri: body.uri, name: body.name)
        }
        return .ok(.init(body: .json(.init(resource))))
    }

    func removeResource(_ input: Operations.RemoveResource.Input) async throws -> Operations.RemoveResource.Output {
        let (domain, uri) = (input.path.tenant, input.query.uri)
        let administration = try administration(of: domain)
        try await database { try await administration.removeResource(tenant: domain, uri: uri) }
        return .noContent(.init())
    }
}
