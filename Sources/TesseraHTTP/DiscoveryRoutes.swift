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

    public init(directory: any ClientDirectory, issuer: IssuerURL, grantTypes: Set<GrantType>) {
        self.authenticator = ClientAuthenticator(directory: directory)
        self.issuer = issuer
        self.grantTypes = grantTypes
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        for path in [
            "/t/:tenant/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/t/:tenant",
        ] {
            router.get(RouterPath(path)) { _, context in
                await self.metadata(tenant: context.parameters.get("tenant") ?? "", logger: context.logger)
            }
        }
    }

    private func metadata(tenant domain: String, logger: Logger) async -> Response {
        do {
            let tenant = try await OAuthError.guarding(logger: logger) { try await authenticator.tenant(domain) }
            let metadata = AuthorizationServerMetadata(tenant: tenant, issuer: issuer, grantTypes: grantTypes)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var headers = HTTPFields.oauthResponse
            // Metadata changes only with a deployment; caches may keep it for a while.
            headers[.cacheControl] = "public, max-age=300"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(metadata))))
        } catch let error as OAuthError {
            return error.response(realm: nil)
        } catch {
            return OAuthError(.serverError, "the server could not complete the request").response(realm: nil)
        }
    }
}
