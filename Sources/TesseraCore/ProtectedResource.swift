/// A resource a tenant protects (its APIs, its MCP servers): an RFC 8707 resource indicator with the name the
/// consent page shows.
public struct ProtectedResource: Sendable, Equatable {
    public let uri: String
    public let name: String

    public init(uri: String, name: String) {
        self.uri = uri
        self.name = name
    }
}

/// Where the resources a tenant declared are found.
public protocol ProtectedResourceDirectory: Sendable {
    func resources(tenantID: Tenant.ID) async throws -> [ProtectedResource]
}
