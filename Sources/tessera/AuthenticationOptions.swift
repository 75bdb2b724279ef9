import ArgumentParser
import Foundation
import TesseraCore

/// `--auth-method` and `--jwks-file` or `--jwks-uri`: how an application's client authenticates.
struct AuthenticationOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Comma-separated methods the client may authenticate with: client_secret_basic, client_secret_post, private_key_jwt (default: the two secret methods).",
            valueName: "methods"))
    var authMethod: String?

    @Option(
        help: ArgumentHelp(
            "A JWK set file with the client's public keys (EC P-256, Ed25519 or RSA of 2048 bits or more), for private_key_jwt.",
            valueName: "file"))
    var jwksFile: String?

    @Option(
        help: ArgumentHelp(
            "The https URL where the client publishes its JWK set, for private_key_jwt: fetched and cached by the server, so the client rotates its keys itself. Instead of --jwks-file.",
            valueName: "url"))
    var jwksURI: String?

    /// Whether any of the options was given.
    var given: Bool { authMethod != nil || jwksFile != nil || jwksURI != nil }

    /// The authentication asked for, checked; nil when no option was given. Without --jwks-file or --jwks-uri,
    /// the `stored` keys or URL (the application's, for `set-auth`) serve private_key_jwt.
    func authentication(stored: ClientAuthentication? = nil) throws -> ClientAuthentication? {
        guard given else { return nil }
        var methods: Set<ClientAuthenticationMethod>?
        if let authMethod {
            do {
                methods = try ClientAuthentication.methods(
                    named: authMethod.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            } catch {
                throw CommandFailure("\(error)")
            }
        }
        let given = try jwksFile.map { path -> ClientKeySet in
            guard let data = FileManager.default.contents(atPath: path), data.count <= ClientKeySet.maximumSize else {
                throw CommandFailure("cannot read \(path), or it is larger than \(ClientKeySet.maximumSize) bytes")
            }
            do {
                return try ClientKeySet(json: String(decoding: data, as: UTF8.self))
            } catch {
                throw CommandFailure("\(path): \(error)")
            }
        }
        do {
            return try ClientAuthentication.chosen(methods: methods, given: given, givenURL: jwksURI, stored: stored)
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}
