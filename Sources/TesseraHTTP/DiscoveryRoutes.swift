import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// Authorization server metadata (RFC 8414) of each tenant, at `/t/{tenant}/.well-known/oauth-authorization-server`
/// and at the form §3 prescribes, `/.well-known/oauth-authorization-server/t/{tenant}`.
public struct DiscoveryRoutes: Sendable {
    private let authenticator: ClientAuthenticator
    private let issuer: IssuerURL
    private let grantTypes: Set<GrantType>
    /// Whether this server signs JWT access tokens: the metadata then names the key set.
    private let signs: Bool
    /// The grants' own endpoints, which add their members.
    private let endpoints: [any GrantEndpoint]

    public init(
        directory: any ClientDirectory, issuer: IssuerURL, grantTypes: Set<GrantType>, signs: Bool = false,
        endpoints: [any GrantEndpoint] = []
    ) {
        self.authenticator = ClientAuthenticator(directory: directory)
        self.issuer = issuer
        self.grantTypes = grantTypes
        self.signs = signs
        self.endpoints = endpoints
    }

    public func register(on router: Router<TesseraRequestContext>) {
        for path in [
            "/t/:tenant/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/t/:tenant",
        ] {
            router.get(RouterPath(path)) { _, context in
                let tenant = context.parameters.get("tenant") ?? ""
                context.notes.update {
                    $0.endpoint = .discovery
                    $0.tenant = tenant
                }
                return await self.metadata(tenant: tenant, context: context)
            }
        }
    }

    private func metadata(tenant domain: String, context: TesseraRequestContext) async -> Response {
        do {
            let tenant = try await OAuthError.guarding(logger: context.logger) {
                try await authenticator.tenant(domain)
            }
            let metadata = AuthorizationServerMetadata(
                tenant: tenant, issuer: issuer, grantTypes: grantTypes, signs: signs,
                endpointMembers: endpoints.metadata)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var headers = HTTPFields.oauthResponse
            // Metadata changes only with a deployment; caches may keep it for a while.
            headers[.cacheControl] = "public, max-age=300"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(metadata))))
        } catch let error as OAuthError {
            context.notes.update { $0.error = error.code.rawValue }
            return error.response(realm: nil)
        } catch {
            context.notes.update { $0.error = OAuthError.Code.serverError.rawValue }
            return OAuthError(.serverError, "the server could not complete the request").response(realm: nil)
        }
    }
}
