import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraHTTP

/// Authenticates an admin API request by its bearer token (RFC 6750 §2.1), checked against the database as
/// introspection checks it, so that a revoked token, a disabled client or a disabled tenant stops at once.
///
/// Opaque tokens do not say their tenant, so the token is looked up where an admin token can come from: the system
/// tenant, then the tenant the path names. A tenant's token presented for another tenant is found in neither and is
/// answered like an unknown one (401 `invalid_token`): the answer does not tell that it is valid elsewhere.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = TesseraRequestContext

    let directory: any ClientDirectory
    let ledger: any TokenLedger
    let systemTenant: String
    let now: @Sendable () -> Date

    /// Longest Authorization header read: a JWT access token of ours is well under 4 KiB.
    static let maximumHeaderLength = 8192

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let token = Self.bearerToken(request.headers[.authorization]) else {
            throw AdminProblem(
                .unauthorized, "a bearer token is required (Authorization: Bearer <token>)",
                challenge: AdminProblem.bearerChallenge(error: nil))
        }
        guard let principal = try await principal(token, pathTenant: Self.tenant(inPath: request.uri.path)) else {
            throw AdminProblem(
                .unauthorized, "the bearer token is not active",
                challenge: AdminProblem.bearerChallenge(error: "invalid_token"))
        }
        return try await AdminPrincipal.$current.withValue(principal) { try await next(request, context) }
    }

    /// The principal whose active access token this is: found in the system tenant first, else in `pathTenant`.
    func principal(_ token: String, pathTenant: String?) async throws -> AdminPrincipal? {
        guard let reference = TokenReference(token), reference.kind == .access else { return nil }
        var candidates = [systemTenant]
        if let pathTenant, pathTenant != systemTenant { candidates.append(pathTenant) }
        var found: AdminPrincipal?
        for domain in candidates {
            guard let tenant = try await directory.tenant(domain: domain), tenant.enabled,
                let active = try await ledger.activeToken(reference, tenantID: tenant.id, at: now())
            else { continue }
            let principal = AdminPrincipal(
                tenant: tenant.domain, consumerKey: active.consumerKey, scopes: active.scopes,
                systemTenant: systemTenant)
            // A system client without tessera:admin may still hold the path's tenant-admin scope elsewhere; the
            // first principal that reaches anything wins.
            if principal.reach != .nothing { return principal }
            found = found ?? principal
        }
        return found
    }

    /// The token of `Authorization: Bearer <token>`; the scheme's name is case-insensitive (RFC 9110 §11.1).
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.utf8.count <= maximumHeaderLength else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The tenant of `/admin/v1/tenants/<domain>/...`, normalized; nil for other paths or a malformed domain.
    static func tenant(inPath path: String) -> String? {
        let prefix = "/admin/v1/tenants/"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        let segment = rest.prefix { $0 != "/" }
        return Tenant.normalizedDomain(segment.removingPercentEncoding ?? String(segment))
    }
}
