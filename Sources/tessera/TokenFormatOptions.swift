import ArgumentParser
import Foundation
import TesseraCore

/// `--token-format` and `--resources`: how an application's access tokens are written and what they may be for.
struct TokenFormatOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "opaque: a reference only introspection reads; jwt: an RFC 9068 JWT resource servers verify against /t/<tenant>/jwks (default: opaque).",
            valueName: "opaque|jwt"))
    var tokenFormat: ClientApplication.TokenFormat?

    @Option(
        help: ArgumentHelp(
            "Comma-separated resources (absolute URIs, RFC 8707) the tokens may be for; a request's `resource` must be one of them, and a request naming none gets all of them as the audience.",
            valueName: "uris"))
    var resources: String?

    var given: Bool { tokenFormat != nil || resources != nil }

    /// The choice, with what is not given kept as the application has it.
    func tokens(currentFormat: ClientApplication.TokenFormat = .opaque, currentResources: [String] = []) throws
        -> TokenAudience
    {
        let listed = resources.map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        do {
            return try TokenAudience(
                format: tokenFormat ?? currentFormat, resources: listed ?? currentResources)
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

extension ClientApplication.TokenFormat: ExpressibleByArgument {}
