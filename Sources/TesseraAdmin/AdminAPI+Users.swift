import Foundation
import HTTPTypes
import TesseraCore
import TesseraPostgres

// Users and their statistics: `tessera user ...` and `tessera stats registered-users` over HTTP.
extension AdminAPI {
    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        let domain = input.path.tenant
        let users = try userAdministration(of: domain)
        let limit = try Paging.limit(input.query.limit)
        let after = input.query.after
        let records = try await database { try await users.users(tenant: domain, after: after, limit: limit + 1) }
        let page = Paging.page(records, limit: limit, key: \.username)
        return .ok(.init(body: .json(.init(users: page.items.map(Components.Schemas.User.init), next: page.next))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let domain = input.path.tenant
        let users = try userAdministration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let roles = Self.roles(body.roles ?? [])
        let hash = try await passwordHash(body.password)
        let record = try await database {
            try await users.createUser(tenant: domain, username: body.username, passwordHash: hash, roles: roles)
        }
        return .created(.init(body: .json(.init(record))))
    }

    func getUser(_ input: Operations.GetUser.Input) async throws -> Operations.GetUser.Output {
        let (domain, username) = (input.path.tenant, input.path.username)
        let users = try userAdministration(of: domain)
        return .ok(
            .init(body: .json(.init(try await database { try await users.user(tenant: domain, username: username) }))))
    }

    func disableUser(_ input: Operations.DisableUser.Input) async throws -> Operations.DisableUser.Output {
        .ok(.init(body: .json(try await setUser(input.path.tenant, input.path.username, enabled: false))))
    }

    func enableUser(_ input: Operations.EnableUser.Input) async throws -> Operations.EnableUser.Output {
        .ok(.init(body: .json(try await setUser(input.path.tenant, input.path.username, enabled: true))))
    }

    private func setUser(_ domain: String, _ username: String, enabled: Bool) async throws -> Components.Schemas.User {
        let users = try userAdministration(of: domain)
        return .init(
            try await database {
                try await users.setUser(tenant: domain, username: username, enabled: enabled)
                return try await users.user(tenant: domain, username: username)
            })
    }

    func setUserPassword(_ input: Operations.SetUserPassword.Input) async throws -> Operations.SetUserPassword.Output {
        let (domain, username) = (input.path.tenant, input.path.username)
        let users = try userAdministration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let hash = try await passwordHash(body.password)
        try await database { try await users.setPassword(tenant: domain, username: username, passwordHash: hash) }
        return .noContent(.init())
    }

    func setUserRoles(_ input: Operations.SetUserRoles.Input) async throws -> Operations.SetUserRoles.Output {
        let (domain, username) = (input.path.tenant, input.path.username)
        let users = try userAdministration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let roles = Self.roles(body.roles)
        let record = try await database {
            try await users.setRoles(tenant: domain, username: username, roles: roles)
            return try await users.user(tenant: domain, username: username)
        }
        return .ok(.init(body: .json(.init(record))))
    }

    static func roles(_ roles: [Components.Schemas.UserRole]) -> Set<UserRole> {
        Set(
            roles.map { role in
                switch role {
                case .tenantAdmin: .tenantAdmin
                }
            })
    }

    func dailyStatistics(_ input: Operations.DailyStatistics.Input) async throws
        -> Operations.DailyStatistics.Output
    {
        let domain = input.path.tenant
        _ = try administration(of: domain)
        let (key, count, client, logger) = (input.query.consumerKey, input.query.days ?? 30, client, logger)
        guard (1...DailyStatistics.maximumDays).contains(count) else {
            throw AdminProblem(.badRequest, "days must be 1 to \(DailyStatistics.maximumDays)")
        }
        let days = try await database {
            try await DailyStatistics(client: client, logger: logger).days(
                tenant: domain, consumerKey: key, count: count)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        days: days.map {
                            .init(
                                day: $0.day, issued: Int64($0.issued), failed: Int64($0.failed),
                                newRegisteredUsers: Int64($0.newRegisteredUsers),
                                registeredUsers: Int64($0.registeredUsers))
                        }))))
    }

    func registeredUsers(_ input: Operations.RegisteredUsers.Input) async throws -> Operations.RegisteredUsers.Output {
        let domain = input.path.tenant
        _ = try administration(of: domain)
        let (key, since, client, logger) = (input.query.consumerKey, input.query.since, client, logger)
        let lines = try await database {
            try await RegisteredUserStatistics(client: client, logger: logger)
                .perApplication(tenant: domain, consumerKey: key, since: since)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        applications: lines.map {
                            .init(
                                application: $0.application, consumerKey: $0.consumerKey,
                                registeredUsers: $0.registeredUsers, active30Days: $0.activeUsers30Days,
                                firstSeen: $0.firstSeen, lastSeen: $0.lastSeen)
                        }))))
    }

    /// The password checked by the CLI's rule, then hashed by the server's hashing threads: a full queue of
    /// sign-ins and hashes answers 503 rather than waiting.
    private func passwordHash(_ password: String) async throws -> String {
        try UserAdministration.checkPassword(password)
        return try await passwords.hash(password)
    }
}

extension Components.Schemas.User {
    init(_ record: UserRecord) {
        self.init(
            tenant: record.tenant, username: record.username, enabled: record.enabled, createdAt: record.createdAt,
            roles: record.roles.compactMap(Components.Schemas.UserRole.init(rawValue:)))
    }
}

// Consents users gave at the authorization endpoint: `tessera user consents` over HTTP.
extension AdminAPI {
    func listConsents(_ input: Operations.ListConsents.Input) async throws -> Operations.ListConsents.Output {
        let (domain, username) = (input.path.tenant, input.path.username)
        let users = try userAdministration(of: domain)
        let consents = try await database { try await users.consents(tenant: domain, username: username) }
        return .ok(.init(body: .json(.init(consents: consents.map(Components.Schemas.Consent.init)))))
    }

    func revokeConsent(_ input: Operations.RevokeConsent.Input) async throws -> Operations.RevokeConsent.Output {
        let (domain, username, key) = (input.path.tenant, input.path.username, input.path.clientId)
        let users = try userAdministration(of: domain)
        try await database { try await users.revokeConsent(tenant: domain, username: username, consumerKey: key) }
        return .noContent(.init())
    }
}
