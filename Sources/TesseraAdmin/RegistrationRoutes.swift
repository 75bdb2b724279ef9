import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore
import TesseraHTTP
import TesseraPostgres

/// Dynamic client registration: RFC 7591 `POST /t/<tenant>/register` with an initial access token an administrator
/// made (`tessera app registration-token`, or the admin API), and RFC 7592 `GET` and `DELETE
/// /t/<tenant>/register/<client_id>` with the registration access token the registration answered.
///
/// A registration is `createApplication` (the same rules, the same audit trail, actor "registration"), its
/// initial access token spent in the same transaction. Metadata: `client_name`, `grant_types`, `scope`,
/// `token_endpoint_auth_method`, `jwks`, `software_id`, `software_version`; anything else is ignored, and a value
/// that cannot work is 400 `invalid_client_metadata`.
public struct RegistrationRoutes: Sendable {
    private let client: any DatabaseClient
    private let publicURL: String
    private let supportedGrantTypes: Set<GrantType>
    private let logger: Logger
    private let now: @Sendable () -> Date

    public init(
        client: any DatabaseClient, publicURL: String, supportedGrantTypes: Set<GrantType>, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) {
        self.client = client
        self.publicURL = publicURL
        self.supportedGrantTypes = supportedGrantTypes
        self.logger = logger
        self.now = now
    }

    static let maximumBodySize = 64 * 1024

    public func register(on router: Router<TesseraRequestContext>) {
        router.post("/t/:tenant/register") { request, context in
            await answer(context) { try await register(request, tenant: context.parameters.get("tenant") ?? "") }
        }
        router.get("/t/:tenant/register/:client") { request, context in
            await answer(context) {
                try await read(
                    request, tenant: context.parameters.get("tenant") ?? "",
                    key: context.parameters.get("client") ?? "")
            }
        }
        router.delete("/t/:tenant/register/:client") { request, context in
            await answer(context) {
                try await unregister(
                    request, tenant: context.parameters.get("tenant") ?? "",
                    key: context.parameters.get("client") ?? "")
            }
        }
    }

    // MARK: Operations

    private func register(_ request: Request, tenant: String) async throws -> Response {
        guard let initial = Self.bearer(request) else { throw RegistrationRefusal.missingToken }
        try await directory { try await $0.checkRegistrationToken(tenant: tenant, token: initial) }
        let body = try await request.body.collect(upTo: Self.maximumBodySize)
        let metadata = try RegistrationMetadata(json: Data(body.readableBytesView))
        let settings = try metadata.settings(supportedGrantTypes: supportedGrantTypes)
        let accessToken = ClientRegistration.newAccessToken()
        let registration = ClientRegistration(
            initialTokenHash: TokenHash(of: initial), accessTokenHash: TokenHash(of: accessToken),
            softwareID: metadata.softwareID, softwareVersion: metadata.softwareVersion,
            redirectURIs: metadata.redirectURIs ?? [])
        let (record, secret) = try await directory {
            try await $0.createApplication(tenant: tenant, settings: settings, registration: registration)
        }
        var answer = information(
            RegisteredClient(
                application: record, softwareID: registration.softwareID,
                softwareVersion: registration.softwareVersion, redirectURIs: registration.redirectURIs))
        answer["registration_access_token"] = accessToken
        answer["client_id_issued_at"] = Int(record.createdAt.timeIntervalSince1970)
        if settings.authentication.usesSecret {
            answer["client_secret"] = secret
            answer["client_secret_expires_at"] = 0
        }
        if let keys = settings.authentication.keys,
            let jwks = try? JSONSerialization.jsonObject(with: Data(keys.json.utf8))
        {
            answer["jwks"] = jwks
        }
        return try Self.json(.created, answer)
    }

    private func read(_ request: Request, tenant: String, key: String) async throws -> Response {
        guard let token = Self.bearer(request) else { throw RegistrationRefusal.missingToken }
        let found = try await directory {
            try await $0.registeredClient(tenant: tenant, consumerKey: key, accessToken: token)
        }
        var answer = information(found)
        // RFC 7592 §3: the read answers the client's registration as the registration did, with its token.
        answer["registration_access_token"] = token
        return try Self.json(.ok, answer)
    }

    private func unregister(_ request: Request, tenant: String, key: String) async throws -> Response {
        guard let token = Self.bearer(request) else { throw RegistrationRefusal.missingToken }
        try await directory { try await $0.deleteRegistration(tenant: tenant, consumerKey: key, accessToken: token) }
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    /// Runs `operation` on the directory with the admin API's deadline; what it changes, the audit trail records as
    /// done by "registration".
    private func directory<Result: Sendable>(
        _ operation: @escaping @Sendable (DirectoryAdministration) async throws -> Result
    ) async throws -> Result {
        let administration = DirectoryAdministration(client: client, logger: logger, now: now, actor: "registration")
        return try await PostgresAvailability.run(deadline: AdminAPI.deadline) { try await operation(administration) }
    }

    /// The client's registered metadata (RFC 7591 §3.2.1), never its secret.
    private func information(_ registered: RegisteredClient) -> [String: Any] {
        let record = registered.application
        var information: [String: Any] = [
            "client_id": record.consumerKey,
            "client_name": record.name,
            "grant_types": record.grantTypes,
            "scope": record.scopes.joined(separator: " "),
            "token_endpoint_auth_method": RegistrationMetadata.method(of: record.authMethods),
            "registration_client_uri": "\(publicURL)/t/\(record.tenant)/register/\(record.consumerKey)",
        ]
        if let id = registered.softwareID { information["software_id"] = id }
        if let version = registered.softwareVersion { information["software_version"] = version }
        if !registered.redirectURIs.isEmpty { information["redirect_uris"] = registered.redirectURIs }
        return information
    }

    // MARK: Answers

    private func answer(_ context: TesseraRequestContext, _ operation: () async throws -> Response) async -> Response {
        context.note(registration: context.parameters.get("tenant").flatMap(Tenant.normalizedDomain))
        do {
            return try await operation()
        } catch RegistrationRefusal.missingToken {
            var response = Self.error(.unauthorized, "invalid_request", "a bearer token is required")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"\(Self.realm(context))\""
            return response
        } catch RegistrationRefusal.invalidToken {
            return Self.invalidToken(context)
        } catch let refusal as RegistrationMetadata.Invalid {
            return Self.error(.badRequest, "invalid_client_metadata", refusal.description)
        } catch let refusal as ApplicationSettingsError {
            return Self.error(.badRequest, "invalid_client_metadata", refusal.description)
        } catch let refusal as AdministrationError {
            // An unknown tenant reads as a bad token: nothing tells which tenants exist.
            if refusal.kind == .notFound { return Self.invalidToken(context) }
            return Self.error(.badRequest, "invalid_client_metadata", refusal.description)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            return Self.error(.contentTooLarge, "invalid_request", "the request body is too large")
        } catch is StoreUnavailableError {
            var response = Self.error(.serviceUnavailable, "temporarily_unavailable", "the database is unavailable")
            response.headers[.retryAfter] = "1"
            return response
        } catch {
            context.logger.error(
                "registration failed",
                metadata: [
                    "error": "\(type(of: error))", "sqlstate": "\(DatabaseErrorMessage.sqlState(error) ?? "-")",
                ])
            return Self.error(.internalServerError, "server_error", "the server could not complete the request")
        }
    }

    private static func invalidToken(_ context: TesseraRequestContext) -> Response {
        var response = error(.unauthorized, "invalid_token", "the token is not valid for this registration")
        response.headers[.wwwAuthenticate] = "Bearer realm=\"\(realm(context))\", error=\"invalid_token\""
        return response
    }

    /// The tenant the request names, as the realm of its challenge.
    private static func realm(_ context: TesseraRequestContext) -> String {
        context.parameters.get("tenant").flatMap(Tenant.normalizedDomain) ?? "tessera"
    }

    private static func error(_ status: HTTPResponse.Status, _ code: String, _ description: String) -> Response {
        (try? json(status, ["error": code, "error_description": description]))
            ?? Response(status: .internalServerError)
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func bearer(_ request: Request) -> String? {
        AdminAuthenticator.bearerToken(request.headers[.authorization])
    }
}
