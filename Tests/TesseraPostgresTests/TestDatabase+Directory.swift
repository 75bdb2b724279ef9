import Foundation
import PostgresNIO
import ServiceLifecycle
import TesseraCore
import TesseraPostgres

/// A tenant with one application, made the way an operator makes them.
struct RegisteredApplication: Sendable {
    let tenant: TenantRecord
    let application: ApplicationRecord
    let secret: String
}

extension TestDatabase {
    var administration: DirectoryAdministration {
        DirectoryAdministration(client: client, logger: logger)
    }

    /// Creates `domain` (unless it exists) and an application in it.
    func register(
        domain: String = "acme.example", application name: String = "billing", scopes: String = "default read write"
    ) async throws -> RegisteredApplication {
        let tenant =
            if let existing = try await administration.tenants().first(where: { $0.domain == domain }) {
                existing
            } else {
                try await administration.createTenant(domain: domain)
            }
        let (application, secret) = try await administration.createApplication(
            tenant: domain, settings: Self.settings(name: name, scopes: scopes))
        return RegisteredApplication(tenant: tenant, application: application, secret: secret)
    }

    static func settings(name: String, scopes: String = "default read write") throws -> ApplicationSettings {
        try ApplicationSettings(name: name, allowedScopes: scopes, supportedGrantTypes: ["client_credentials"])
    }

    /// The stored secret hash of an application, as the table holds it.
    func storedSecretHash(consumerKey: String) async throws -> String? {
        try await client.rows(
            "SELECT secret_hash FROM applications WHERE consumer_key = \(consumerKey)", as: String.self
        ).first
    }

    func count(_ table: String) async throws -> Int {
        let query = PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM \(table)")
        return try await client.rows(query, as: Int.self).first ?? 0
    }
}

extension TestDatabase {
    /// Runs `body` with the token store `serve` uses (group commit), its writers running until `body` returns.
    func withTokenStore<Result: Sendable>(_ body: (GroupCommitTokenStore) async throws -> Result) async throws
        -> Result
    {
        let store = GroupCommitTokenStore(client: client, logger: logger)
        return try await runningServices([store]) { try await body(store) }
    }

    /// Stores one access token as the server does.
    func store(_ token: IssuedToken) async throws {
        try await withTokenStore { try await $0.store(token) }
    }
}

/// Runs `services` in a service group while `body` runs, then shuts them down gracefully (pending batches finish).
func runningServices<Result: Sendable>(
    _ services: [any Service], _ body: () async throws -> Result
) async throws -> Result {
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, logger: TestDatabase.logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
