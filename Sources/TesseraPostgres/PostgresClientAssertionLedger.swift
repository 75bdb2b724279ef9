import Foundation
import NIOCore
import PostgresNIO
import TesseraCore

/// The used client assertion ids in PostgreSQL (migration 0010), shared by every server instance: the first
/// instance to insert an id wins, and any later use of it, on any instance, is refused until purge removes it.
public struct PostgresClientAssertionLedger: ClientAssertionLedger {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func use(
        _ idHash: [UInt8], tenantID: Tenant.ID, applicationID: ClientApplication.ID, until expiresAt: Date
    ) async throws -> Bool {
        let statement = UseClientAssertion(
            tenantID: tenantID, applicationID: applicationID, idHash: idHash, expiresAt: expiresAt)
        return try await PostgresAvailability.run { [client] in
            try await !client.committed(statement).isEmpty
        }
    }
}

/// Records an assertion id unless it is there already; a row back means this use is the first.
struct UseClientAssertion: PostgresPreparedStatement {
    static let name = "tessera.UseClientAssertion"
    static let sql = """
        INSERT INTO used_client_assertions (tenant_id, application_id, jti_hash, expires_at)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1
        """
    typealias Row = Int32
    let tenantID: Tenant.ID
    let applicationID: ClientApplication.ID
    let idHash: [UInt8]
    let expiresAt: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(tenantID)
        bindings.append(applicationID)
        bindings.append(ByteBuffer(bytes: idHash))
        bindings.append(expiresAt)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
}
