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

/// Where the consents of a tenant's users are kept.
public protocol ConsentStore: Sendable {
    /// The user's consent for the application; nil when there is none.
    func consent(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws -> Consent?
    /// Adds `scopes` and `resources` to what the user consented to for the application.
    func record(
        tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID, scopes: ScopeSet,
        resources: [String]
    ) async throws
    /// Withdraws the user's consent for the application; false when there was none.
    func revoke(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws -> Bool
}
