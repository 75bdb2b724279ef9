import Foundation

/// What a user allowed an application: the scopes and resources consented to, remembered until revoked.
public struct Consent: Sendable, Equatable {
    public let applicationID: ClientApplication.ID
    public let scopes: ScopeSet
    public let resources: [String]
    public let grantedAt: Date

    public init(applicationID: ClientApplication.ID, scopes: ScopeSet, resources: [String], grantedAt: Date) {
        self.applicationID = applicationID
        self.scopes = scopes
        self.resources = resources
        self.grantedAt = grantedAt
    }

    /// Whether the consent already covers a request for `scopes` and `resources`: the user is not asked again.
    public func covers(scopes requested: ScopeSet, resources requestedResources: [String]) -> Bool {
        requested.isSubset(of: scopes) && requestedResources.allSatisfy(resources.contains)
    }
}

/// A consent with the client it was given to, as the user's consents page and the administrators list them.
public struct GrantedConsent: Sendable, Equatable {
    public let consent: Consent
    public let clientID: String
    public let clientName: String

    public init(consent: Consent, clientID: String, clientName: String) {
        self.consent = consent
        self.clientID = clientID
        self.clientName = clientName
    }
}

/// Where the consents of a tenant's users are kept.
public protocol ConsentStore: Sendable {
    /// The user's consent for the application; nil when there is none.
    func consent(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws -> Consent?
    /// Adds `scopes` and `resources` to what the user consented to for the application.
    func record(
        tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID, scopes: ScopeSet,
        resources: [String]
    ) async throws
    /// Withdraws the user's consent for the application, and the refresh tokens the application holds for the user
    /// (with the access tokens issued from them): it no longer acts for the user. False when there was none.
    func revoke(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws -> Bool
    /// The user's consents, by client name.
    func consents(tenantID: Tenant.ID, userID: User.ID) async throws -> [GrantedConsent]
}
