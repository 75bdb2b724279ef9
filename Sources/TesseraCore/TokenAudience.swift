/// What an operator chooses for an application's access tokens: their format and the resources (RFC 8707) they may
/// be for, checked before anything is written.
public struct TokenAudience: Sendable, Equatable {
    public var format: ClientApplication.TokenFormat
    public var resources: [String]

    /// Most resources one application may name.
    public static let maximumResources = 64

    public static let opaque = TokenAudience(checked: .opaque, resources: [])

    private init(checked format: ClientApplication.TokenFormat, resources: [String]) {
        self.format = format
        self.resources = resources
    }

    /// Each resource an absolute URI without a fragment; repeats count once.
    public init(format: ClientApplication.TokenFormat, resources requested: [String]) throws(ApplicationSettingsError) {
        var resources: [String] = []
        for resource in requested where !resources.contains(resource) {
            guard ClientApplication.isResourceIndicator(resource) else {
                throw .init(
                    "\"\(resource.prefix(80))\" is not a resource: an absolute URI (https://api.example.com) without a fragment, at most \(ClientApplication.maximumResourceLength) bytes"
                )
            }
            resources.append(resource)
        }
        guard resources.count <= Self.maximumResources else {
            throw .init("at most \(Self.maximumResources) resources")
        }
        self.init(checked: format, resources: resources)
    }
}
