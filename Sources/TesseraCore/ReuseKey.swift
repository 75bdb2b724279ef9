import Foundation

/// What makes two token requests ask for the same token: tenant, application, subject (with its kind) and scopes.
public struct ReuseKey: Sendable, Hashable {
    public let tenantID: Tenant.ID
    public let applicationID: ClientApplication.ID
    public let subject: TokenSubject
    public let scopes: ScopeSet

    public init(tenantID: Tenant.ID, applicationID: ClientApplication.ID, subject: TokenSubject, scopes: ScopeSet) {
        self.tenantID = tenantID
        self.applicationID = applicationID
        self.subject = subject
        self.scopes = scopes
    }

    /// The kind is a fixed word before the name, so a client and a user of the same name bind differently.
    var associatedData: Data {
        Data("\(tenantID)\u{0}\(applicationID)\u{0}\(subject.kind)\u{0}\(subject.name)\u{0}\(scopes.description)".utf8)
    }
}
