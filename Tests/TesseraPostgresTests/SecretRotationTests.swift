import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TesseraCore
import TesseraPostgres
import TesseraTesting
import Testing

/// `app rotate-secret --grace` (issue 14): the replaced secret keeps working beside the new one on every server
/// until its grace period ends, then stops on all of them at the same moment, with no notification needed.
@Suite("Secret rotation with a grace period")
struct SecretRotationTests {
    static func status(_ service: TokenService, key: String, secret: String) async throws -> HTTPResponse.Status {
        try await service.application.test(.router) { client in
            try await client.requestToken(key: key, secret: secret).status
        }
    }

    @Test("during the grace period both secrets get tokens on two instances; after it only the new one, on both")
    func graceOnTwoInstances() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let key = registered.application.consumerKey
            let rotation = try await database.administration.rotateSecret(
                tenant: "acme.example", consumerKey: key, grace: 3600)
            let expiry = try #require(rotation.previousExpiresAt)
            #expect(abs(expiry.timeIntervalSinceNow - 3600) < 60)
            let other = database.makeClient()
            // Each instance caches the application as it was after the rotation, previous secret and all, and judges
            // the grace period by its clock: the two move together, as synchronized servers' clocks do.
            let clock = TestClock()
            try await other.running { () async throws -> Void in
                try await TokenService.with(client: database.client, now: { clock.now }) {
                    (first: TokenService) async throws -> Void in
                    try await TokenService.with(client: other, now: { clock.now }) {
                        (second: TokenService) async throws -> Void in
                        let instances = [first, second]
                        for service in instances {
                            #expect(try await Self.status(service, key: key, secret: registered.secret) == .ok)
                            #expect(try await Self.status(service, key: key, secret: rotation.secret) == .ok)
                            #expect(try await Self.status(service, key: key, secret: "wrong") == .unauthorized)
                        }
                        clock.advance(by: expiry.timeIntervalSince(clock.now) - 1)
                        #expect(try await Self.status(instances[1], key: key, secret: registered.secret) == .ok)
                        clock.advance(by: 1)
                        for service in instances {
                            #expect(
                                try await Self.status(service, key: key, secret: registered.secret) == .unauthorized)
                            #expect(try await Self.status(service, key: key, secret: rotation.secret) == .ok)
                        }
                    }
                }
            }
        }
    }

    @Test("at most two secrets: rotating again replaces the previous one, and without --grace both old ones stop")
    func atMostTwo() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let key = registered.application.consumerKey
            let admin = database.administration
            let second = try await admin.rotateSecret(tenant: "acme.example", consumerKey: key, grace: 3600)
            let third = try await admin.rotateSecret(tenant: "acme.example", consumerKey: key, grace: 3600)
            try await TokenService.with(client: database.client) { service in
                #expect(try await Self.status(service, key: key, secret: registered.secret) == .unauthorized)
                #expect(try await Self.status(service, key: key, secret: second.secret) == .ok)
                #expect(try await Self.status(service, key: key, secret: third.secret) == .ok)

                // The change feed drops the cached application at once; eventually: the notification takes a moment.
                let fourth = try await admin.rotateSecret(tenant: "acme.example", consumerKey: key)
                #expect(fourth.previousExpiresAt == nil)
                let stopped = try await eventually(within: .seconds(10)) {
                    try await Self.status(service, key: key, secret: third.secret) == .unauthorized
                }
                #expect(stopped, "the replaced secret still works")
                #expect(try await Self.status(service, key: key, secret: second.secret) == .unauthorized)
                #expect(try await Self.status(service, key: key, secret: fourth.secret) == .ok)
            }
            #expect(try await admin.secrets(tenant: "acme.example", consumerKey: key).map(\.secret) == [.current])
        }
    }

    @Test("secrets lists the current and the previous secret with dates, never a hash; purge removes an expired one")
    func listedAndPurged() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let key = registered.application.consumerKey
            // Whole seconds, which the database stores exactly.
            let clock = TestClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            let admin = DirectoryAdministration(client: database.client, logger: database.logger, now: { clock.now })
            let rotation = try await admin.rotateSecret(tenant: "acme.example", consumerKey: key, grace: 600)
            #expect(rotation.previousExpiresAt == clock.now.addingTimeInterval(600))
            let expiry = try #require(rotation.previousExpiresAt)
            let listed = try await admin.secrets(tenant: "acme.example", consumerKey: key)
            #expect(listed.map(\.secret) == [.current, .previous])
            #expect(listed.first?.createdAt.map { abs($0.timeIntervalSinceNow) < 60 } == true)
            #expect(listed.last?.expiresAt == expiry)
            let encoded = String(decoding: try JSONEncoder().encode(listed), as: UTF8.self)
            let stored = try #require(try await database.storedSecretHash(consumerKey: key))
            #expect(!encoded.contains(rotation.secret) && !encoded.contains(stored) && !encoded.contains("hmac"))
            // Once expired, it is no longer listed, even before a purge removes it.
            clock.advance(by: 600)
            #expect(try await admin.secrets(tenant: "acme.example", consumerKey: key).map(\.secret) == [.current])

            let partitions = TokenPartitions(client: database.client, logger: database.logger)
            #expect(try await partitions.purge(now: expiry.addingTimeInterval(-1)).expiredSecrets == 0)
            #expect(try await partitions.purge(now: expiry).expiredSecrets == 1)
            let left = try await database.client.query(
                "SELECT count(*)::int FROM applications WHERE previous_secret_hash IS NOT NULL", logger: database.logger
            )
            for try await count in left.decode(Int.self) { #expect(count == 0) }
            #expect(try await admin.secrets(tenant: "acme.example", consumerKey: key).map(\.secret) == [.current])
        }
    }
}
