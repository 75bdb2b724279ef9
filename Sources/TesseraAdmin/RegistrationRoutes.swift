import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore
import TesseraHTTP
import TesseraPostgres

/// Dynamic client registration: RFC 7591 `POST /t/<tenant>/register` with an initial access token an administrator
/// made (`tessera app registration-token`, or the admin API), and RFC 7592 `GET`, `PUT` and `DELETE
/// /t/<tenant>/register/<client_id>` with the registration access token the registration answered.
///
/// A registration is `createApplication` (the same rules, the same audit trail, actor "registration"), its
/// initial access token spent in the same transaction. Where a tenant opened its registration
/// (`tessera tenant registration --open`), a client may register without a token, for the scopes the tenant opened
/// and within its hourly bound; each address is throttled as well. Metadata: `client_name`, `grant_types`, `scope`,
/// `token_endpoint_auth_method`, `jwks` or `jwks_uri`, `software_id`, `software_version`; anything else is ignored, and a value
/// that cannot work is 400 `invalid_client_metadata`.
public struct RegistrationRoutes: Sendable {
    private let client: any DatabaseClient
    private let publicURL: String
    private let supportedGrantTypes: Set<GrantType>
    private let trustedProxies: TrustedProxies
    /// Open registrations from one address: every attempt counts, and past `freeFailures` an hour each further
    /// one waits a doubling delay. On this server only; the tenant's hourly bound holds across servers.
    private let openThrottle: FailureThrottle<String>
    private let logger: Logger
    private let now: @Sendable () -> Date

    public init(
        client: any DatabaseClient, publicURL: String, supportedGrantTypes: Set<GrantType>,
        trustedProxies: TrustedProxies = .none, logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.client = client
        self.publicURL = publicURL
        self.supportedGrantTypes = supportedGrantTypes
        self.trustedProxies = trustedProxies
        self.openThrottle = FailureThrottle(freeFailures: 5, baseDelay: 10, window: 3600)
        self.logger = logger
        self.now = now
    }

    static let maximumBodySize = 64 * 1024

    public func register(on router: Router<TesseraRequestContext>) {
        router.post("/t/:tenant/register") { request, context in
            await answer(context) {
                try await register(request, context: context, tenant: context.parameters.get("tenant") ?? "")
            }
        }
        router.get("/t/:tenant/register/:client") { request, context in
            await answer(context) {
                try await read(
                    request, tenant: context.parameters.get("tenant") ?? "",
                    key: context.parameters.get("client") ?? "")
            }
        }
        router.put("/t/:tenant/register/:client") { request, context in
            await answer(context) {
                try await update(
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

    private func register(_ request: Request, context: TesseraRequestContext, tenant: String) async throws
        -> Response
    {
        // The initial access token, or the tenant's open registration, is checked before the body is read.
        let initial = Self.bearer(request)
        var open: OpenRegistration?
        if let initial {
            try await directory { try await $0.checkRegistrationToken(tenant: tenant, token: initial) }
        } else {
            open = try await directory { try await $0.checkOpenRegistration(tenant: tenant) }
            let address = context.clientAddress(request, behind: trustedProxies) ?? "-"
            if let wait = openThrottle.retryAfter(address) { throw OpenRegistrationThrottled(retryAfter: wait) }
            openThrottle.recordFailure(address)
        }
        let body = try await request.body.collect(upTo: Self.maximumBodySize)
        let metadata = try RegistrationMetadata(json: Data(body.readableBytesView))
        let settings = try metadata.settings(
            supportedGrantTypes: supportedGrantTypes,
            defaultScope: open?.scopes.description ?? ApplicationSettings.defaultScope)
        let accessToken = ClientRegistration.newAccessToken()
        let registration = ClientRegistration(
            initialTokenHash: initial.map(TokenHash.init(of:)), accessTokenHash: TokenHash(of: accessToken),
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
        answer["jwks"] = Self.jwks(settings.authentication)
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

    /// RFC 7592 §2.2: the body is the client's whole metadata, and what it leaves out goes back to the default.
    private func update(_ request: Request, tenant: String, key: String) async throws -> Response {
        guard let token = Self.bearer(request) else { throw RegistrationRefusal.missingToken }
        // The token is checked before the body is read, as for a registration; the update checks it again on the
        // row it locks.
        let current = try await directory {
            try await $0.registeredClient(tenant: tenant, consumerKey: key, accessToken: token)
        }
        let body = try await request.body.collect(upTo: Self.maximumBodySize)
        let metadata = try RegistrationMetadata(json: Data(body.readableBytesView))
        try metadata.checkUpdate(of: current.application)
        let settings = try metadata.settings(
            supportedGrantTypes: supportedGrantTypes, currentName: current.application.name)
        let updated = try await directory {
            try await $0.updateRegistration(
                tenant: tenant, consumerKey: key, accessToken: token, settings: settings,
                softwareID: metadata.softwareID, softwareVersion: metadata.softwareVersion,
                redirectURIs: metadata.redirectURIs ?? [], presentedSecret: metadata.clientSecret)
        }
        var answer = information(updated)
        answer["registration_access_token"] = token
        answer["jwks"] = Self.jwks(settings.authentication)
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
        if let url = record.jwksURI { information["jwks_uri"] = url }
        return information
    }

    /// The public keys registered with the request, echoed as RFC 7591 §3.2.1 asks; nil without keys.
    private static func jwks(_ authentication: ClientAuthentication) -> Any? {
        authentication.keys.flatMap { try? JSONSerialization.jsonObject(with: Data($0.json.utf8)) }
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
        } catch let throttled as OpenRegistrationThrottled {
            var response = Self.error(
                .tooManyRequests, "invalid_request", "too many registrations from this address: try again later")
            response.headers[.retryAfter] = "\(throttled.retryAfter)"
            return response
        } catch RegistrationRefusal.tooManyRegistrations {
            var response = Self.error(
                .tooManyRequests, "invalid_request", "the tenant's open registrations for this hour are spent")
            response.headers[.retryAfter] = "60"
            return response
        } catch RegistrationRefusal.scopeNotOpen(let scopes) {
            return Self.error(
                .badRequest, "invalid_client_metadata", "scope \(scopes.prefix(200)) is not open to registration")
        } catch RegistrationRefusal.secretMismatch {
            return Self.error(.badRequest, "invalid_request", "client_secret is not the client's secret")
        } catch let refusal as RegistrationMetadata.Invalid {
            return Self.error(.badRequest, refusal.error, refusal.description)
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

    /// An open registration from an address that registered too often on this server.
    private struct OpenRegistrationThrottled: Error {
        let retryAfter: Int
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
