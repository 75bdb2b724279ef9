import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
import TesseraCore
import TesseraHTTP
import TesseraPages
import TesseraPostgres

/// The admin API under `/admin/v1/`: its OpenAPI document, open to all, and its operations behind
/// `AdminAuthenticator`, each error answered as a problem (`AdminResponseMiddleware`).
public struct AdminRoutes: Sendable {
    private let api: AdminAPI
    private let authenticator: AdminAuthenticator
    private let console: ConsoleRoutes?

    /// Longest request body: the connection guard's limit for every request (`ConnectionLimits.maximumBodySize`),
    /// which refuses a longer declared body before it reaches a route.
    static let maximumBodySize = 64 * 1024

    /// - Parameters:
    ///   - systemTenant: the tenant whose clients with `tessera:admin` administer every tenant.
    ///   - supportedGrantTypes: the grant types installed on this server.
    ///   - passwords: the server's password hasher (its hashing threads), for users' passwords.
    ///   - serverKey: the key the tenants' signing keys are sealed under, if the server has one.
    ///   - console: the console's parts; nil serves no console.
    public init(
        client: any DatabaseClient, directory: any ClientDirectory, ledger: any TokenLedger, systemTenant: String,
        supportedGrantTypes: Set<GrantType>, passwords: any PasswordHasher, serverKey: ServerKey?,
        console: ConsoleSettings? = nil, logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        let api = AdminAPI(
            client: client, logger: logger, systemTenant: systemTenant, supportedGrantTypes: supportedGrantTypes,
            now: now, passwords: passwords, serverKey: serverKey)
        self.api = api
        self.authenticator = AdminAuthenticator(
            directory: directory, ledger: ledger, systemTenant: systemTenant, now: now)
        self.console = console.map {
            ConsoleRoutes(
                console: Console(
                    api: api, browser: BrowserSignIn(signIn: $0.signIn, sessions: $0.sessions, now: now, use: .console),
                    directory: directory, systemTenant: systemTenant),
                settings: $0)
        }
    }

    /// The document the API's types are generated from, byte for byte.
    public static var document: String { EmbeddedOpenAPI.files[0].text }

    public func register(on router: Router<TesseraRequestContext>) throws {
        console?.register(on: router)
        router.get("/admin/v1/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: Self.document)))
        }
        let operations = router.group()
            .add(middleware: AdminResponseMiddleware())
            .add(middleware: authenticator)
            .add(middleware: AdminBodyLimit(maximum: Self.maximumBodySize))
        // Compact, as the CLI's --json prints, with URIs unescaped.
        try api.registerHandlers(
            on: operations, configuration: .init(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]))
    }
}

/// Reads the body up to `maximum` bytes before any handler does, so that nothing decodes an unbounded body
/// (the OpenAPI runtime would collect it whole).
struct AdminBodyLimit: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let maximum: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var request = request
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximum {
            throw AdminProblem(.contentTooLarge, "the body is larger than \(maximum) bytes")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximum)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw AdminProblem(.contentTooLarge, "the body is larger than \(maximum) bytes")
        }
        // An empty body is an empty JSON object: the runtime reads a missing optional body (rotate-secret,
        // revoke-tokens) as JSON anyway, and a required one then fails on its first required field, by name.
        if body.readableBytes == 0, request.method == .post || request.method == .patch {
            var head = request.head
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.contentLength] = nil
            request = Request(head: head, body: .init(buffer: ByteBuffer(string: "{}")))
        } else {
            request.body = .init(buffer: body)
        }
        return try await next(request, context)
    }
}
