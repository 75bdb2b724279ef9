import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// Serves the grants' own endpoints (`GrantEndpoint`) at `/t/{tenant}/{path}` and, for the default tenant, at
/// `/{path}`: reads what HTTP carries into an `EndpointRequest` and writes the endpoint's answer back, adding the
/// hardening every page gets.
public struct GrantEndpointRoutes: Sendable {
    private let endpoints: [any GrantEndpoint]
    private let defaultTenant: String?
    private let trustedProxies: TrustedProxies
    /// Whether browsers reach the server over HTTPS (the public URL's scheme): cookies are then `Secure`.
    private let secure: Bool

    public init(
        endpoints: [any GrantEndpoint], defaultTenant: String?, trustedProxies: TrustedProxies = .none,
        secure: Bool
    ) {
        self.endpoints = endpoints
        self.defaultTenant = defaultTenant
        self.trustedProxies = trustedProxies
        self.secure = secure
    }

    public func register(on router: Router<TesseraRequestContext>) {
        for endpoint in endpoints {
            for method in [HTTPRequest.Method.get, .post] {
                router.on(RouterPath("/t/:tenant/\(endpoint.path)"), method: method) { request, context in
                    await self.respond(
                        request, context: context, endpoint: endpoint, tenant: context.parameters.get("tenant"))
                }
                router.on(RouterPath("/\(endpoint.path)"), method: method) { request, context in
                    await self.respond(request, context: context, endpoint: endpoint, tenant: self.defaultTenant)
                }
            }
        }
    }

    /// Headers every answer carries unless the endpoint set its own: no sniffing, no framing, no referrer (a page's
    /// URL holds the authorization request), nothing cached.
    static let hardening: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    private func respond(
        _ request: Request, context: TesseraRequestContext, endpoint: any GrantEndpoint, tenant: String?
    ) async -> Response {
        context.notes.update {
            $0.endpoint = .grantEndpoint
            $0.tenant = tenant
        }
        return await Self.serve(
            request, context: context, tenant: tenant, trustedProxies: trustedProxies, secure: secure
        ) {
            await endpoint.respond(to: $0, logger: context.logger)
        }
    }

    /// A page's round trip, for the grants' endpoints and the console alike: the query and form read with the token
    /// routes' limits (a malformed one answered in plain text), `answer` given the request, its answer written back
    /// with the hardening headers.
    public static func serve(
        _ request: Request, context: TesseraRequestContext, tenant: String?, trustedProxies: TrustedProxies,
        secure: Bool, answer: (EndpointRequest) async -> EndpointResponse
    ) async -> Response {
        guard let tenant else { return Self.plain(404, "Not found: no tenant is served here.") }
        let query: TokenRequestParameters
        var form = TokenRequestParameters()
        do {
            query = try TokenRoutes.parseForm(request.uri.query ?? "")
            if request.method == .post { form = try await TokenRoutes.readForm(request) }
        } catch {
            context.notes.update { $0.error = error.code.rawValue }
            return Self.plain(error.status, "Bad request: \(error.description)")
        }
        let answer = await answer(
            EndpointRequest(
                method: request.method == .post ? .post : .get, tenantDomain: tenant, query: query, form: form,
                cookies: EndpointRequest.cookies(fromHeader: request.headers[.cookie]),
                sourceAddress: context.clientAddress(request, behind: trustedProxies), isSecure: secure))
        return response(answer, context: context)
    }

    /// An endpoint's answer as HTTP, with the hardening headers it did not set itself.
    public static func response(_ answer: EndpointResponse, context: TesseraRequestContext) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) }
        }
        for (name, value) in Self.hardening {
            if let name = HTTPField.Name(name), headers[name] == nil { headers[name] = value }
        }
        if answer.status >= 400 { context.notes.update { $0.error = "page" } }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }

    /// A short plain-text answer for what fails before the endpoint sees the request.
    static func plain(_ status: Int, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        for (name, value) in hardening { if let name = HTTPField.Name(name) { headers[name] = value } }
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
