import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// The client-authenticated form endpoints under `/t/{tenant}/` and, for the default tenant, at the root:
/// `token` (RFC 6749), `introspect` (RFC 7662) and `revoke` (RFC 7009).
///
/// It checks what only HTTP can see (method, media type, size, form syntax) and leaves the protocol, repeated
/// parameters included, to the core's endpoints.
public struct TokenRoutes: Sendable {
    /// Bodies are small forms; anything larger is refused before it is read (413).
    public static let maximumBodySize = 64 * 1024

    private let endpoint: TokenEndpoint
    private let introspection: IntrospectionEndpoint?
    private let revocation: RevocationEndpoint?
    private let defaultTenant: String?
    /// Whose `X-Forwarded-For` names the client's address.
    private let trustedProxies: TrustedProxies
    /// Grant types the log and the metrics name; any other value is reported as "other", so that a client
    /// cannot add a label value of its choosing.
    private let reportedGrantTypes: Set<String>

    public init(
        endpoint: TokenEndpoint, introspection: IntrospectionEndpoint? = nil, revocation: RevocationEndpoint? = nil,
        defaultTenant: String?, trustedProxies: TrustedProxies = .none
    ) {
        self.endpoint = endpoint
        self.introspection = introspection
        self.revocation = revocation
        self.defaultTenant = defaultTenant
        self.trustedProxies = trustedProxies
        self.reportedGrantTypes = Set(endpoint.grantTypes.map(\.rawValue))
    }

    public func register(on router: Router<TesseraRequestContext>) {
        register(.token, on: router) { request, logger throws(OAuthError) in
            try await endpoint.handle(request, logger: logger).response()
        }
        if let introspection {
            register(.introspect, on: router) { request, logger throws(OAuthError) in
                try await introspection.handle(request, logger: logger).response()
            }
        }
        if let revocation {
            // RFC 7009 §2.2: 200 with an empty body, whether the token was known or not.
            register(.revoke, on: router) { request, logger throws(OAuthError) in
                try await revocation.handle(request, logger: logger)
                return Response(status: .ok, headers: .oauthEmptyResponse)
            }
        }
    }

    private func register(
        _ endpoint: RequestNotes.Endpoint, on router: Router<TesseraRequestContext>,
        _ handle: @escaping @Sendable (TokenRequest, Logger) async throws(OAuthError) -> Response
    ) {
        let name = endpoint.rawValue
        router.post("/t/:tenant/\(name)") { request, context in
            await self.formPost(
                request, context: context, endpoint: endpoint, tenant: context.parameters.get("tenant"), handle)
        }
        router.post("/\(name)") { request, context in
            await self.formPost(request, context: context, endpoint: endpoint, tenant: self.defaultTenant, handle)
        }
        for path in ["/t/:tenant/\(name)", "/\(name)"] {
            for method in [HTTPRequest.Method.get, .put, .delete, .patch, .head, .options] {
                router.on(RouterPath(path), method: method) { _, context in
                    context.notes.update {
                        $0.endpoint = endpoint
                        $0.error = OAuthError.Code.invalidRequest.rawValue
                    }
                    return Self.methodNotAllowed(name)
                }
            }
        }
    }

    private func formPost(
        _ request: Request, context: TesseraRequestContext, endpoint: RequestNotes.Endpoint, tenant: String?,
        _ handle: @Sendable (TokenRequest, Logger) async throws(OAuthError) -> Response
    ) async -> Response {
        context.notes.update {
            $0.endpoint = endpoint
            $0.tenant = tenant
        }
        guard let tenant else {
            context.notes.update { $0.error = OAuthError.Code.notFound.rawValue }
            return OAuthError(.notFound, "unknown tenant").response(realm: nil)
        }
        do {
            let form = try await Self.readForm(request)
            if endpoint == .token, let grantType = form["grant_type"] {
                let reported = reportedGrantTypes.contains(grantType) ? grantType : "other"
                context.notes.update { $0.grantType = reported }
            }
            let tokenRequest = TokenRequest(
                tenantDomain: tenant,
                authorization: request.headers[.authorization],
                form: form,
                // Hummingbird decodes query values, not names: `client%5Fsecret` is `client_secret`.
                queryParameterNames: request.uri.queryParameters.map {
                    ClientCredentials.formURLDecode($0.key) ?? String($0.key)
                },
                sourceAddress: context.clientAddress(request, behind: trustedProxies)
            )
            return try await handle(tokenRequest, context.logger)
        } catch {
            if error.code != .invalidRequest || error.status != 400 {
                context.logger.debug("token request refused", metadata: ["error": "\(String(reflecting: error))"])
            }
            context.notes.update { $0.error = error.code.rawValue }
            return error.response(realm: tenant)
        }
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// RFC 6749 §3.2: `application/x-www-form-urlencoded`, UTF-8, each parameter at most once.
    static func readForm(_ request: Request) async throws(OAuthError) -> TokenRequestParameters {
        guard let contentType = request.headers[.contentType], Self.isFormMediaType(contentType) else {
            throw .invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw OAuthError(.invalidRequest, "the request body is too large", status: 413)
        } catch {
            throw .invalidRequest("the request body could not be read", detail: "\(error)")
        }
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw .invalidRequest("the request body is not valid UTF-8")
        }
        return try parseForm(text)
    }

    /// `name=value&...`, each name and value form-urldecoded (and UTF-8 after decoding); a repeated name keeps
    /// its values in order, for the endpoint to refuse unless its grant declared the name repeatable.
    /// Bracketed names (`a[b]`) are another form syntax's structure, not OAuth parameters: refused, as is an
    /// empty name. A hand-written parser: Hummingbird's Decodable form decoder cost more than the rest of
    /// reading the request.
    static func parseForm(_ text: String) throws(OAuthError) -> TokenRequestParameters {
        var form = TokenRequestParameters()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=") ?? pair.endIndex
            guard let name = ClientCredentials.formURLDecode(pair[..<equals]),
                let value = ClientCredentials.formURLDecode(
                    equals == pair.endIndex ? pair[equals...] : pair[pair.index(after: equals)...])
            else {
                throw .invalidRequest("the request body is not a valid form")
            }
            guard !name.isEmpty, !name.contains(where: { $0 == "[" || $0 == "]" }) else {
                throw .invalidRequest("the request body is not a valid form")
            }
            form.append(name, value)
        }
        return form
    }

    /// `application/x-www-form-urlencoded`, any case, with or without parameters such as `charset`.
    static func isFormMediaType(_ value: String) -> Bool {
        value.utf8.prefix { $0 != UInt8(ascii: ";") }.trimmingSpacesAndTabs()
            .equalsIgnoringASCIICase("application/x-www-form-urlencoded")
    }

    static func methodNotAllowed(_ endpoint: String) -> Response {
        var response = OAuthError(.invalidRequest, "the \(endpoint) endpoint accepts POST only", status: 405).response(
            realm: nil)
        response.headers[.allow] = "POST"
        return response
    }
}
