import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore

/// `GET /t/{tenant}/jwks` (and `/jwks` for the default tenant): the tenant's public signing keys (RFC 7517), from
/// memory. Cacheable for `SigningKeyTimeline.keySetMaxAge`, the time a new key is published before it signs, so a
/// verifier that honours the header never meets a token signed by a key it has not fetched.
public struct KeySetRoutes: Sendable {
    private let authenticator: ClientAuthenticator
    private let keys: any SigningKeySource
    private let defaultTenant: String?
    private let now: @Sendable () -> Date

    public init(
        directory: any ClientDirectory, keys: any SigningKeySource, defaultTenant: String?,
        now: @escaping @Sendable () -> Date
    ) {
        self.authenticator = ClientAuthenticator(directory: directory)
        self.keys = keys
        self.defaultTenant = defaultTenant
        self.now = now
    }

    public func register(on router: Router<TesseraRequestContext>) {
        router.get("/t/:tenant/jwks") { request, context in
            await self.keySet(tenant: context.parameters.get("tenant") ?? "", request: request, context: context)
        }
        router.get("/jwks") { request, context in
            guard let tenant = self.defaultTenant else {
                return OAuthError(.notFound, "no default tenant; use /t/{tenant}/jwks").response(realm: nil)
            }
            return await self.keySet(tenant: tenant, request: request, context: context)
        }
    }

    private func keySet(tenant domain: String, request: Request, context: TesseraRequestContext) async -> Response {
        context.notes.update {
            $0.endpoint = .jwks
            $0.tenant = domain
        }
        do {
            let (json, etag, count) = try await OAuthError.guarding(logger: context.logger) {
                let tenant = try await authenticator.tenant(domain)
                return try await keys.keys(of: tenant.id).keySet(at: now())
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/jwk-set+json"
            headers[.eTag] = etag
            // A tenant without keys yet: nothing to cache, so that its first key is fetched as soon as it signs.
            headers[.cacheControl] =
                count == 0 ? "no-cache" : "public, max-age=\(SigningKeyTimeline.keySetMaxAge)"
            if request.headers[.ifNoneMatch]?.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == etag
            }) == true {
                return Response(status: .notModified, headers: headers)
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
        } catch {
            context.notes.update { $0.error = error.code.rawValue }
            return error.response(realm: nil)
        }
    }
}
