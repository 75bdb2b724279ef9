import Foundation
import PostgresNIO
import TesseraCore

/// A resource a tenant protects (an API, an MCP server): its RFC 8707 indicator and the name a consent page shows.
public struct TenantResource: Sendable, Encodable {
    public let uri: String
    public let name: String
    public let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case uri, name
        case createdAt = "created_at"
    }

    /// The most resources a tenant declares: each is shown on consent pages and listed in metadata.
    public static let maximumPerTenant = 100
    public static let maximumNameLength = 200
}

extension DirectoryAdministration {
    /// Declares that the tenant protects `uri`, shown as `name`; declaring it again renames it.
    public func addResource(tenant rawDomain: String, uri: String, name rawName: String) async throws
        -> TenantResource
    {
        guard ClientApplication.isResourceIndicator(uri) else {
            throw AdministrationError(
                "\"\(uri.prefix(80))\" is not a resource: an absolute URI (https://mcp.example.com) without a fragment, at most \(ClientApplication.maximumResourceLength) bytes"
            )
        }
        let name = rawName.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= TenantResource.maximumNameLength, !name.hasControlCharacters else {
            throw AdministrationError(
                "the resource's name must be 1 to \(TenantResource.maximumNameLength) printable characters")
        }
        let tenantID = try await tenantID(rawDomain)
        let logger = logger
        return try await audit.record("resource.add", tenantID: tenantID, target: uri) { connection in
            // Counted under the tenant's row lock, so that declarations at once cannot pass the bound together.
            let count = try await connection.query(
                """
                SELECT (SELECT count(*) FROM tenant_resources WHERE tenant_id = \(tenantID) AND uri <> \(uri))
                FROM tenants WHERE tenant_id = \(tenantID) FOR UPDATE
                """, logger: logger
            ).collect()
            if let row = count.first, try row.decode(Int64.self) >= TenantResource.maximumPerTenant {
                throw AdministrationError("a tenant declares at most \(TenantResource.maximumPerTenant) resources")
            }
            let rows = try await connection.query(
                """
                INSERT INTO tenant_resources (tenant_id, uri, name) VALUES (\(tenantID), \(uri), \(name))
                ON CONFLICT (tenant_id, uri) DO UPDATE SET name = EXCLUDED.name
                RETURNING uri, name, created_at
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw AdministrationError("the resource was not added") }
            let (uri, name, createdAt) = try row.decode((String, String, Date).self)
            return TenantResource(uri: uri, name: name, createdAt: createdAt)
        }
    }

    /// The tenant's resources by URI.
    public func resources(tenant rawDomain: String) async throws -> [TenantResource] {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            "SELECT uri, name, created_at FROM tenant_resources WHERE tenant_id = \(tenantID) ORDER BY uri",
            logger: logger)
        var resources: [TenantResource] = []
        for try await (uri, name, createdAt) in rows.decode((String, String, Date).self) {
            resources.append(TenantResource(uri: uri, name: name, createdAt: createdAt))
        }
        return resources
    }

    /// Stops declaring `uri`; tokens already issued for it keep their audience.
    public func removeResource(tenant rawDomain: String, uri: String) async throws {
        let tenantID = try await tenantID(rawDomain)
        let logger = logger
        _ = try await audit.record("resource.remove", tenantID: tenantID, target: uri) { connection in
            let rows = try await connection.query(
                "DELETE FROM tenant_resources WHERE tenant_id = \(tenantID) AND uri = \(uri) RETURNING 1",
                logger: logger
            ).collect()
            guard !rows.isEmpty else {
                throw AdministrationError("\(rawDomain) declares no resource \(uri.prefix(200))", kind: .notFound)
            }
        }
    }
}
