import Logging

/// An HTTP endpoint a grant brings besides the token endpoint: the authorization code grant's `/authorize`, a device
/// flow's verification page. The server serves it at `/t/{tenant}/{path}` and, for the default tenant, at `/{path}`,
/// for GET and POST; the grant gets the request as plain values and answers with plain values, so that a plugin
/// needs no HTTP library and the core stays free of one.
///
/// What the server does before `respond`: reads a POST body as a form (at most 64 KiB, refused unless
/// `application/x-www-form-urlencoded`), takes the client's address behind trusted proxies, and adds the usual
/// hardening headers. Everything else (the tenant, the protocol, the page) is the endpoint's.
public protocol GrantEndpoint: Sendable {
    /// The path under a tenant, one segment: `authorize`.
    var path: String { get }
    /// The members the endpoint adds to a tenant's authorization server metadata (RFC 8414 §2), given the tenant and
    /// its issuer (`authorization_endpoint`, `response_types_supported`, ...).
    func metadata(tenant: Tenant, issuer: String) -> [String: MetadataValue]
    /// Answers a request; never throws: every failure is a page or a redirect the endpoint chose.
    func respond(to request: EndpointRequest, logger: Logger) async -> EndpointResponse
}

/// A value of an authorization server metadata member that an endpoint adds.
public enum MetadataValue: Sendable, Equatable, Encodable {
    case string(String)
    case strings([String])
    case bool(Bool)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .strings(let values): try container.encode(values)
        case .bool(let value): try container.encode(value)
        }
    }
}

extension [any GrantEndpoint] {
    /// The metadata members these endpoints add for `tenant`, whose issuer is `issuer`.
    public func metadata(tenant: Tenant, issuer: String) -> [String: MetadataValue] {
        reduce(into: [:]) { members, endpoint in
            members.merge(endpoint.metadata(tenant: tenant, issuer: issuer)) { $1 }
        }
    }
}
