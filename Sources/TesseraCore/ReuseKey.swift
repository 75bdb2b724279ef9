import Foundation

/// What makes two token requests ask for the same token: tenant, application, subject (with its kind), scopes and
/// audience.
public struct ReuseKey: Sendable, Hashable {
    public let tenantID: Tenant.ID
    public let applicationID: ClientApplication.ID
    public let subject: TokenSubject
    public let scopes: ScopeSet
    public let audience: [String]

    public init(
        tenantID: Tenant.ID, applicationID: ClientApplication.ID, subject: TokenSubject, scopes: ScopeSet,
        audience: [String] = []
    ) {
        self.audience = audience
        self.tenantID = tenantID
        self.applicationID = applicationID
        self.subject = subject
        self.scopes = scopes
    }

    /// The kind is a fixed word before the name, so a client and a user of the same name bind differently.
    var associatedData: Data {
        var text = "\(tenantID)\u{0}\(applicationID)\u{0}\(subject.kind)\u{0}\(subject.name)\u{0}\(scopes.description)"
        // Without an audience the binding is what it was before audiences, so tokens sealed then still open.
        if !audience.isEmpty { text += "\u{0}" + audienceKey }
        return Data(text.utf8)
    }

    /// The audience as one text, as the reuse row stores it: resources never contain a space.
    public var audienceKey: String {
        audience.joined(separator: " ")
    }
}
