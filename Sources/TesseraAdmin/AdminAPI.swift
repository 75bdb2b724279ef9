import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime
import TesseraCore
import TesseraPostgres

/// The admin API's operations: each checks what the caller's token reaches, then runs the very operation the CLI
/// runs (`DirectoryAdministration`), with the caller as the audit trail's actor.
struct AdminAPI: APIProtocol {
    let client: any DatabaseClient
    let logger: Logger
    let systemTenant: String
    /// The grant types this server has installed: an application may only be given those.
    let supportedGrantTypes: Set<GrantType>
    /// The clock revocations and rotations are dated by: the one tokens are issued by.
    let now: @Sendable () -> Date
    /// The server's password hashing (its own threads and queue), for users' passwords.
    let passwords: any PasswordHasher
    /// The key tenants' signing keys are sealed under; nil on a server that issues no JWTs.
    let serverKey: ServerKey?

    /// An admin request's database work ends within this or answers 503.
    static let deadline: Duration = .seconds(10)

    // MARK: Authorization

    /// The caller, allowed to act on `domain`; 403 when its scope does not reach it.
    func administration(of domain: String) throws -> DirectoryAdministration {
        let principal = try caller()
        let normalized = Tenant.normalizedDomain(domain) ?? domain
        guard principal.mayAdminister(normalized) else {
            throw AdminProblem.insufficientScope(
                "this token does not administer tenant \(normalized.prefix(253))",
                needs: "\(AdminPrincipal.systemScope) \(AdminPrincipal.tenantScope)")
        }
        return DirectoryAdministration(client: client, logger: logger, now: now, actor: principal.actor)
    }

    /// As `administration(of:)`, for the tenant's users.
    func userAdministration(of domain: String) throws -> UserAdministration {
        UserAdministration(client: client, logger: logger, actor: try administration(of: domain).audit.actor)
    }

    /// The caller, allowed to act on every tenant (creating, listing, disabling tenants).
    private func systemAdministration() throws -> DirectoryAdministration {
        let principal = try caller()
        guard principal.reach == .everyTenant else {
            throw AdminProblem.insufficientScope(
                "only a client of the system tenant with scope \(AdminPrincipal.systemScope) may do this",
                needs: AdminPrincipal.systemScope)
        }
        return DirectoryAdministration(client: client, logger: logger, now: now, actor: principal.actor)
    }

    func caller() throws -> AdminPrincipal {
        // AdminAuthenticator runs before every operation; without it nothing is allowed.
        guard let principal = AdminPrincipal.current else {
            throw AdminProblem(
                .unauthorized, "a bearer token is required", challenge: AdminProblem.bearerChallenge(error: nil))
        }
        return principal
    }

    func database<Result: Sendable>(_ operation: @escaping @Sendable () async throws -> Result) async throws
        -> Result
    {
        try await PostgresAvailability.run(deadline: Self.deadline, operation)
    }

    // MARK: Tenants

    func listTenants(_ input: Operations.ListTenants.Input) async throws -> Operations.ListTenants.Output {
        let administration = try systemAdministration()
        let limit = try Paging.limit(input.query.limit)
        let after = input.query.after
        let records = try await database { try await administration.tenants(after: after, limit: limit + 1) }
        let page = Paging.page(records, limit: limit, key: \.domain)
        return .ok(.init(body: .json(.init(tenants: page.items.map(Components.Schemas.Tenant.init), next: page.next))))
    }

    func createTenant(_ input: Operations.CreateTenant.Input) async throws -> Operations.CreateTenant.Output {
        let administration = try systemAdministration()
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let record = try await database { try await administration.createTenant(domain: body.domain) }
        return .created(.init(body: .json(.init(record))))
    }

    func getTenant(_ input: Operations.GetTenant.Input) async throws -> Operations.GetTenant.Output {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        let record = try await database { try await administration.tenant(domain: domain) }
        return .ok(.init(body: .json(.init(record))))
    }

    func disableTenant(_ input: Operations.DisableTenant.Input) async throws -> Operations.DisableTenant.Output {
        .ok(.init(body: .json(try await setTenant(input.path.tenant, enabled: false))))
    }

    func enableTenant(_ input: Operations.EnableTenant.Input) async throws -> Operations.EnableTenant.Output {
        .ok(.init(body: .json(try await setTenant(input.path.tenant, enabled: true))))
    }

    private func setTenant(_ domain: String, enabled: Bool) async throws -> Components.Schemas.Tenant {
        let administration = try systemAdministration()
        if Tenant.normalizedDomain(domain) == systemTenant, !enabled {
            throw AdminProblem(.badRequest, "the system tenant cannot be disabled: its clients administer the others")
        }
        return .init(
            try await database {
                try await administration.setTenant(domain: domain, enabled: enabled)
                return try await administration.tenant(domain: domain)
            })
    }

    // MARK: Applications

    func listApplications(_ input: Operations.ListApplications.Input) async throws
        -> Operations.ListApplications.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        let limit = try Paging.limit(input.query.limit)
        let (after, search) = (input.query.after, input.query.search)
        if let search, search.count > 100 { throw AdminProblem(.badRequest, "search must be at most 100 characters") }
        let records = try await database {
            try await administration.applications(tenant: domain, after: after, search: search, limit: limit + 1)
        }
        let page = Paging.page(records, limit: limit, key: \.name)
        return .ok(
            .init(
                body: .json(
                    .init(applications: page.items.map(Components.Schemas.Application.init), next: page.next))))
    }

    func createApplication(_ input: Operations.CreateApplication.Input) async throws
        -> Operations.CreateApplication.Output
    {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let settings = try body.settings(supportedGrantTypes: supportedGrantTypes)
        let (record, secret) = try await database {
            try await administration.createApplication(tenant: domain, settings: settings)
        }
        return .created(
            .init(
                body: .json(
                    .init(
                        application: .init(record),
                        consumerSecret: settings.authentication.usesSecret ? secret : nil))))
    }

    func getApplication(_ input: Operations.GetApplication.Input) async throws -> Operations.GetApplication.Output {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        let record = try await database { try await administration.application(tenant: domain, consumerKey: key) }
        return .ok(.init(body: .json(.init(record))))
    }

    func disableApplication(_ input: Operations.DisableApplication.Input) async throws
        -> Operations.DisableApplication.Output
    {
        .ok(.init(body: .json(try await setApplication(input.path.tenant, input.path.consumerKey, enabled: false))))
    }

    func enableApplication(_ input: Operations.EnableApplication.Input) async throws
        -> Operations.EnableApplication.Output
    {
        .ok(.init(body: .json(try await setApplication(input.path.tenant, input.path.consumerKey, enabled: true))))
    }

    private func setApplication(_ domain: String, _ key: String, enabled: Bool) async throws
        -> Components.Schemas.Application
    {
        let administration = try administration(of: domain)
        return .init(
            try await database {
                try await administration.setApplication(tenant: domain, consumerKey: key, enabled: enabled)
            })
    }

    func rotateApplicationSecret(_ input: Operations.RotateApplicationSecret.Input) async throws
        -> Operations.RotateApplicationSecret.Output
    {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        var request = Components.Schemas.SecretRotationRequest()
        if case .json(let body) = input.body { request = body }
        let (grace, revoke) = (request.graceSeconds ?? 0, request.revokeTokens ?? false)
        let rotation = try await database {
            try await administration.rotateSecret(tenant: domain, consumerKey: key, revokeTokens: revoke, grace: grace)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        consumerKey: key, consumerSecret: rotation.secret,
                        previousSecretExpiresAt: rotation.previousExpiresAt))))
    }

    func listApplicationSecrets(_ input: Operations.ListApplicationSecrets.Input) async throws
        -> Operations.ListApplicationSecrets.Output
    {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        let secrets = try await database { try await administration.secrets(tenant: domain, consumerKey: key) }
        return .ok(
            .init(
                body: .json(
                    .init(
                        secrets: secrets.map {
                            .init(
                                secret: $0.secret == .current ? .current : .previous, createdAt: $0.createdAt,
                                expiresAt: $0.expiresAt)
                        }))))
    }

    func revokeApplicationTokens(_ input: Operations.RevokeApplicationTokens.Input) async throws
        -> Operations.RevokeApplicationTokens.Output
    {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        var username: String?
        if case .json(let body) = input.body { username = body.username }
        try await database { [username] in
            try await administration.revokeTokens(tenant: domain, consumerKey: key, username: username)
        }
        return .noContent(.init())
    }

    // MARK: Audit

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        let domain = input.path.tenant
        let administration = try administration(of: domain)
        let limit = input.query.limit ?? 100
        guard (1...10_000).contains(limit) else { throw AdminProblem(.badRequest, "limit must be 1 to 10000") }
        let since = input.query.since
        let events = try await database {
            let tenantID = try await administration.tenantID(domain)
            return try await administration.audit.events(
                tenantID: tenantID, domain: Tenant.normalizedDomain(domain) ?? domain, since: since, limit: limit)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        events: events.map {
                            .init(
                                at: $0.at, tenant: $0.tenant, actor: $0.actor, operation: $0.operation,
                                target: $0.target, outcome: $0.outcome)
                        }))))
    }
}
