import Foundation
import Logging

/// Token revocation (RFC 7009): an authenticated application gives back one of its access or refresh tokens.
///
/// Unknown tokens and other applications' tokens get the same 200 and are left untouched (§2.2), so that the
/// endpoint cannot be used to learn which tokens exist.
public struct RevocationEndpoint: Sendable {
    private let authenticator: ClientAuthenticator
    private let ledger: any TokenLedger
    private let now: @Sendable () -> Date

    public init(
        directory: any ClientDirectory, ledger: any TokenLedger, throttle: ClientThrottle? = nil,
        assertions: ClientAssertionCheck? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.authenticator = ClientAuthenticator(
            directory: directory, throttle: throttle, assertions: assertions, now: now)
        self.ledger = ledger
        self.now = now
    }

    public func handle(_ request: TokenRequest, logger: Logger) async throws(OAuthError) {
        try await OAuthError.guarding(logger: logger) {
            let (tenant, client, token) = try await authenticator.tokenRequest(
                request, requirement: .publicClientsAllowed, logger: logger)
            guard let reference = TokenReference(token) else { return }
            try await ledger.revoke(reference, tenantID: tenant.id, applicationID: client.id, at: now())
        }
    }
}
