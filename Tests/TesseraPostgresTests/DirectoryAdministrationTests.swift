import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

@Suite("Directory administration", .timeLimit(.minutes(3)))
struct DirectoryAdministrationTests {
    // MARK: Tenants

    @Test("a tenant is created with its domain in lower case, enabled, and listed")
    func createTenant() async throws {
        try await TestDatabase.with { database in
            let tenant = try await database.administration.createTenant(domain: "Acme.EXAMPLE")
            #expect(tenant.domain == "acme.example")
            #expect(tenant.enabled)
            let listed = try await database.administration.tenants()
            #expect(listed.map(\.domain) == ["acme.example"])
            #expect(listed.first?.applications == 0)
        }
    }

    @Test("tenants are listed in domain order with their number of applications")
    func listTenants() async throws {
        try await TestDatabase.with { database in
            _ = try await database.register(domain: "zeta.example", application: "one")
            _ = try await database.register(domain: "zeta.example", application: "two")
            _ = try await database.administration.createTenant(domain: "alpha.example")
            let listed = try await database.administration.tenants()
            #expect(listed.map(\.domain) == ["alpha.example", "zeta.example"])
            #expect(listed.map(\.applications) == [0, 2])
        }
    }

    @Test("a second tenant with the same domain, in any case, is refused", arguments: ["acme.example", "ACME.Example"])
    func duplicateTenant(_ domain: String) async throws {
        try await TestDatabase.with { database in
            _ = try await database.administration.createTenant(domain: "acme.example")
            await #expect(throws: AdministrationError.self) {
                try await database.administration.createTenant(domain: domain)
            }
            #expect(try await database.count("tenants") == 1)
        }
    }

    @Test(
        "a malformed domain is refused and nothing is written",
        arguments: ["", "acme example", "-acme.example", "a..b"])
    func malformedDomain(_ domain: String) async throws {
        try await TestDatabase.with { database async throws in
            await #expect(throws: AdministrationError.self) {
                try await database.administration.createTenant(domain: domain)
            }
            #expect(try await database.count("tenants") == 0)
        }
    }

    @Test("a tenant can be disabled and enabled again, by its domain in any case")
    func disableEnableTenant() async throws {
        try await TestDatabase.with { database in
            _ = try await database.administration.createTenant(domain: "acme.example")
            let directory = PostgresClientDirectory(client: database.client)

            try await database.administration.setTenant(domain: "ACME.example", enabled: false)
            #expect(try await database.administration.tenants().first?.enabled == false)
            #expect(try await directory.tenant(domain: "acme.example")?.enabled == false)

            try await database.administration.setTenant(domain: "acme.example", enabled: true)
            #expect(try await database.administration.tenants().first?.enabled == true)
            #expect(try await directory.tenant(domain: "acme.example")?.enabled == true)
        }
    }

    @Test("operations on an unknown tenant are refused and write nothing")
    func unknownTenant() async throws {
        try await TestDatabase.with { database in
            let administration = database.administration
            let settings = try TestDatabase.settings(name: "billing")
            await #expect(throws: AdministrationError.self) {
                try await administration.setTenant(domain: "nobody.example", enabled: false)
            }
            await #expect(throws: AdministrationError.self) {
                try await administration.createApplication(tenant: "nobody.example", settings: settings)
            }
            await #expect(throws: AdministrationError.self) {
                try await administration.applications(tenant: "nobody.example")
            }
            await #expect(throws: AdministrationError.self) {
                try await administration.rotateSecret(tenant: "nobody.example", consumerKey: "x")
            }
            #expect(try await database.count("tenants") == 0)
            #expect(try await database.count("applications") == 0)
        }
    }

    // MARK: Applications

    @Test("a new application's secret is returned once and stored only as a hash that verifies it")
    func createApplication() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register(scopes: "default read")
            let application = registered.application
            #expect(application.tenant == "acme.example")
            #expect(application.name == "billing")
            #expect(application.grantTypes == ["client_credentials"])
            #expect(application.scopes == ["default", "read"])
            #expect(application.defaultScopes == ["default"])
            #expect(application.tokenValidity == ApplicationSettings.defaultTokenValidity)
            #expect(application.maxTokenValidity == ApplicationSettings.defaultMaxTokenValidity)
            #expect(application.enabled)
            #expect(application.consumerKey.count == 28)
            #expect(registered.secret.count >= 32)

            let stored = try #require(try await database.storedSecretHash(consumerKey: application.consumerKey))
            #expect(stored != registered.secret)
            #expect(!stored.contains(registered.secret))
            let hash = try #require(SecretHash(encoded: stored))
            #expect(hash.verifies(registered.secret))
            #expect(!hash.verifies(registered.secret + "x"))
            #expect(try await database.administration.tenants().first?.applications == 1)
        }
    }

    @Test("every application gets its own consumer key and secret")
    func distinctCredentials() async throws {
        try await TestDatabase.with { database in
            let first = try await database.register(application: "one")
            let second = try await database.register(application: "two")
            #expect(first.application.consumerKey != second.application.consumerKey)
            #expect(first.secret != second.secret)
        }
    }

    @Test("a second application with the same name in a tenant is refused and nothing is written")
    func duplicateApplicationName() async throws {
        try await TestDatabase.with { database in
            let first = try await database.register()
            await #expect(throws: AdministrationError.self) {
                try await database.register()
            }
            let applications = try await database.administration.applications(tenant: "acme.example")
            #expect(applications.map(\.consumerKey) == [first.application.consumerKey])
        }
    }

    @Test("the same application name in another tenant is fine")
    func sameNameOtherTenant() async throws {
        try await TestDatabase.with { database in
            let acme = try await database.register(domain: "acme.example")
            let globex = try await database.register(domain: "globex.example")
            #expect(acme.application.name == globex.application.name)
            #expect(try await database.administration.applications(tenant: "globex.example").count == 1)
            #expect(try await database.count("applications") == 2)
        }
    }

    @Test("a rotated secret replaces the old one, which stops verifying")
    func rotateSecret() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let key = registered.application.consumerKey
            let newSecret = try await database.administration.rotateSecret(tenant: "acme.example", consumerKey: key)
                .secret
            #expect(newSecret != registered.secret)

            let stored = try #require(try await database.storedSecretHash(consumerKey: key))
            #expect(!stored.contains(newSecret))
            let hash = try #require(SecretHash(encoded: stored))
            #expect(hash.verifies(newSecret))
            #expect(!hash.verifies(registered.secret))
            let looked = try await PostgresClientDirectory(client: database.client)
                .application(tenantID: Self.tenantID(database), consumerKey: key)
            #expect(looked?.secretHash.verifies(newSecret) == true)
            #expect(looked?.secretHash.verifies(registered.secret) == false)
        }
    }

    @Test("an application can be disabled and enabled again")
    func disableApplication() async throws {
        try await TestDatabase.with { database in
            let key = try await database.register().application.consumerKey
            let directory = PostgresClientDirectory(client: database.client)
            let tenantID = try await Self.tenantID(database)

            try await database.administration.setApplication(tenant: "acme.example", consumerKey: key, enabled: false)
            let record = try await database.administration.application(tenant: "acme.example", consumerKey: key)
            #expect(record.enabled == false)
            #expect(try await directory.application(tenantID: tenantID, consumerKey: key)?.enabled == false)

            try await database.administration.setApplication(tenant: "acme.example", consumerKey: key, enabled: true)
            #expect(try await directory.application(tenantID: tenantID, consumerKey: key)?.enabled == true)
        }
    }

    @Test("an unknown consumer key is refused by every operation")
    func unknownApplication() async throws {
        try await TestDatabase.with { database in
            _ = try await database.register()
            let administration = database.administration
            await #expect(throws: AdministrationError.self) {
                try await administration.application(tenant: "acme.example", consumerKey: "nobody")
            }
            await #expect(throws: AdministrationError.self) {
                try await administration.rotateSecret(tenant: "acme.example", consumerKey: "nobody")
            }
            await #expect(throws: AdministrationError.self) {
                try await administration.setApplication(tenant: "acme.example", consumerKey: "nobody", enabled: false)
            }
        }
    }

    @Test("an application cannot be reached through another tenant")
    func tenantIsolation() async throws {
        try await TestDatabase.with { database in
            let acme = try await database.register(domain: "acme.example")
            _ = try await database.administration.createTenant(domain: "globex.example")
            let key = acme.application.consumerKey
            let administration = database.administration
            await #expect(throws: AdministrationError.self) {
                try await administration.application(tenant: "globex.example", consumerKey: key)
            }
            await #expect(throws: AdministrationError.self) {
                try await administration.rotateSecret(tenant: "globex.example", consumerKey: key)
            }
            await #expect(throws: AdministrationError.self) {
                try await administration.setApplication(tenant: "globex.example", consumerKey: key, enabled: false)
            }
            let stored = try #require(try await database.storedSecretHash(consumerKey: key))
            #expect(SecretHash(encoded: stored)?.verifies(acme.secret) == true)
            #expect(try await administration.application(tenant: "acme.example", consumerKey: key).enabled)
        }
    }

    static func tenantID(_ database: TestDatabase, domain: String = "acme.example") async throws -> Tenant.ID {
        try #require(try await PostgresClientDirectory(client: database.client).tenant(domain: domain)).id
    }
}
