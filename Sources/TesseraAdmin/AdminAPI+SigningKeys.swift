import Foundation
import HTTPTypes
import TesseraCore
import TesseraPostgres

// The tenant's JWT signing keys: `tessera key list|rotate|retire` over HTTP, sealed under this server's key.
extension AdminAPI {
    func listSigningKeys(_ input: Operations.ListSigningKeys.Input) async throws -> Operations.ListSigningKeys.Output {
        let domain = input.path.tenant
        let (keys, tenantID) = try await signingKeys(of: domain)
        let records = try await database { try await keys.list(tenantID, at: nil) }
        return .ok(.init(body: .json(.init(keys: records.map(Components.Schemas.SigningKey.init)))))
    }

    func rotateSigningKey(_ input: Operations.RotateSigningKey.Input) async throws
        -> Operations.RotateSigningKey.Output
    {
        let domain = input.path.tenant
        let (keys, tenantID) = try await signingKeys(of: domain)
        var algorithm: SigningAlgorithm?
        if case .json(let body) = input.body, let name = body.algorithm {
            algorithm = SigningAlgorithm(rawValue: name.rawValue)
        }
        let (made, records) = try await database { [algorithm] in
            let made = try await keys.rotate(tenantID, algorithm: algorithm, at: nil)
            return (made, try await keys.list(tenantID, at: nil))
        }
        return .ok(.init(body: .json(.init(kid: made.id, keys: records.map(Components.Schemas.SigningKey.init)))))
    }

    func retireSigningKey(_ input: Operations.RetireSigningKey.Input) async throws
        -> Operations.RetireSigningKey.Output
    {
        let (domain, kid) = (input.path.tenant, input.path.kid)
        let (keys, tenantID) = try await signingKeys(of: domain)
        let records = try await database {
            _ = try await keys.retire(tenantID, kid: kid, at: nil)
            return try await keys.list(tenantID, at: nil)
        }
        return .ok(.init(body: .json(.init(keys: records.map(Components.Schemas.SigningKey.init)))))
    }

    /// The tenant's keys as the caller may manage them; 400 on a server without a server key, which cannot seal
    /// a new private key (and issues no JWTs).
    private func signingKeys(of domain: String) async throws -> (PostgresSigningKeys, Tenant.ID) {
        let administration = try administration(of: domain)
        guard let serverKey else {
            throw AdminProblem(.badRequest, "this server has no server key, so no signing keys (see docs/jwt.md)")
        }
        let tenantID = try await database { try await administration.tenantID(domain) }
        return (
            PostgresSigningKeys(client: client, serverKey: serverKey, logger: logger, actor: try caller().actor),
            tenantID
        )
    }
}

extension Components.Schemas.SigningKey {
    init(_ record: SigningKeyRecord) {
        self.init(
            kid: record.kid, algorithm: record.algorithm, state: .init(rawValue: record.state) ?? .retired,
            createdAt: record.createdAt, activatesAt: record.activatesAt, signsUntil: record.signsUntil,
            publishedUntil: record.publishedUntil)
    }
}
