import Foundation
import Logging
import TesseraTesting
import Testing

@testable import TesseraCore

/// Brute force and floods of bad client credentials (issue 14): counted per client and per source address, a
/// doubling wait answered 429 before any lookup, never longer than the window, reset by a success.
@Suite("Client authentication throttle")
struct ClientThrottleTests {
    let clock = TestClock()
    let directory = InMemoryClientDirectory()
    let tenant = Fixtures.tenant()
    let application = Fixtures.application()
    let authenticator: ClientAuthenticator

    init() {
        directory.put(tenant)
        directory.put(application)
        let clock = clock
        authenticator = ClientAuthenticator(
            directory: directory,
            throttle: ClientThrottle(window: 60, clientFreeFailures: 10, addressFreeFailures: 20, now: { clock.now }),
            now: { clock.now })
    }

    /// What the endpoint answers this attempt: nil for success, else the error code and Retry-After.
    func attempt(key: String? = nil, secret: String, from address: String? = "192.0.2.1") async -> (
        OAuthError.Code, Int?
    )? {
        let credentials = Data("\(key ?? application.consumerKey):\(secret)".utf8).base64EncodedString()
        let request = TokenRequest(
            tenantDomain: tenant.domain, authorization: "Basic \(credentials)",
            form: TokenRequestParameters(["grant_type": "client_credentials"]), queryParameterNames: [],
            sourceAddress: address)
        do {
            _ = try await authenticator.authenticate(request, tenant: tenant, logger: Logger(label: "test"))
            return nil
        } catch let error as OAuthError {
            return (error.code, error.retryAfter)
        } catch {
            Issue.record("unexpected \(error)")
            return (.serverError, nil)
        }
    }

    @Test("ten wrong secrets in a row: the next attempt waits, even with the right secret, and is not looked up")
    func clientWaits() async {
        for _ in 0..<10 { #expect(await attempt(secret: "wrong")?.0 == .invalidClient) }
        let lookups = directory.lookups
        let refused = await attempt(secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr")
        #expect(refused?.0 == .slowDown && refused?.1 == 1)
        #expect(directory.lookups == lookups, "a throttled attempt reached the directory")
        clock.advance(by: 1)
        #expect(await attempt(secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr") == nil)
        // The success reset the count: ten more failures are free again.
        for _ in 0..<10 { #expect(await attempt(secret: "wrong")?.0 == .invalidClient) }
    }

    @Test("the wait doubles per failure and never passes the window; after the window the client is free")
    func boundedByWindow() async {
        var waits: [Int] = []
        for _ in 0..<40 {
            let outcome = await attempt(secret: "wrong")
            if outcome?.0 == .slowDown, let wait = outcome?.1 {
                waits.append(wait)
                clock.advance(by: TimeInterval(wait))
            } else {
                #expect(outcome?.0 == .invalidClient)
            }
        }
        #expect(Array(waits.prefix(6)) == [1, 2, 4, 8, 16, 32])
        #expect(waits.max() == 60)
        clock.advance(by: 60)
        #expect(await attempt(secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr") == nil)
    }

    @Test("random unknown keys from one address: after twenty, that address waits unheard; another does not")
    func floodFromOneAddress() async {
        for index in 0..<20 {
            #expect(await attempt(key: "random-\(index)", secret: "x")?.0 == .invalidClient)
        }
        let lookups = directory.lookups
        for index in 20..<40 {
            #expect(await attempt(key: "random-\(index)", secret: "x")?.0 == .slowDown)
        }
        #expect(directory.lookups == lookups, "the flood kept reaching the directory")
        #expect(await attempt(secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr", from: "198.51.100.7") == nil)
        #expect(await attempt(key: "random-x", secret: "x", from: nil)?.0 == .invalidClient)
    }

    @Test("wrong secrets for a client from other addresses never slow the client down at its own address")
    func floodOfWrongSecretsElsewhere() async {
        for index in 0..<200 {
            let address = "203.0.113.\(index % 8)"
            #expect(await attempt(secret: "wrong", from: address)?.0 != nil)
        }
        #expect(await attempt(secret: "wrong", from: "203.0.113.1")?.0 == .slowDown, "the attacker's address waits")
        #expect(await attempt(secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr", from: "192.0.2.1") == nil)
    }

    @Test("keys Tessera never makes are refused without a lookup, and still counted against their address")
    func impossibleKeys() async {
        let lookups = directory.lookups
        for key in [
            "short", "pBzuIZhGphfQmdcUX0lneFiiuxw-", "pBzuIZhGphfQmdcUX0lneFiiuxwaa", "ÄBzuIZhGphfQmdcUX0lneFiiuxwa",
        ] {
            #expect(await attempt(key: key, secret: "x", from: "198.51.100.9")?.0 == .invalidClient, "\(key)")
        }
        #expect(directory.lookups == lookups, "an impossible key reached the directory")
        #expect(await attempt(secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr") == nil)
        #expect(directory.lookups == lookups + 1)
    }
}
