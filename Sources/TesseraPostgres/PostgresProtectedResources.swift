import PostgresNIO
import TesseraCore

/// The resources tenants declared (`tenant_resources`), for the authorization endpoint.
public struct PostgresProtectedResources: ProtectedResourceDirectory {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func resources(tenantID: Tenant.ID) async throws -> [ProtectedResource] {
        try await PostgresAvailability.run { [client] in
            let rows = try await client.current.query(
                "SELECT uri, name FROM tenant_resources WHERE tenant_id = \(tenantID) ORDER BY uri",
                logger: PostgresAvailability.statementLogger)
            var resources: [ProtectedResource] = []
            for try await (uri, name) in rows.decode((String, String).self) {
                resources.append(ProtectedResource(uri: uri, name: name))
            }
            return resources
        }
    }
}
