import Foundation
import HTTPTypes
import TesseraCore

/// Reading the admin API's bodies into what the operations take, by the CLI's rules: lists bounded before anything
/// reads them, scopes as the CLI's space-delimited text, a JWK set as `--jwks-file` reads its file.
enum AdminInput {
    /// At most `count` items of at most `length` bytes.
    static func bounded(_ field: String, _ items: [String]?, count: Int, length: Int) throws {
        guard let items else { return }
        guard items.count <= count, items.allSatisfy({ $0.utf8.count <= length }) else {
            throw AdminProblem(.badRequest, "\(field): at most \(count) items of at most \(length) bytes")
        }
    }

    /// A list of scopes as the space-delimited text the CLI takes; an item must be one scope token.
    static func scopeText(_ field: String, _ items: [String]?) throws -> String? {
        guard let items else { return nil }
        try bounded(field, items, count: 200, length: 200)
        guard items.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw AdminProblem(.badRequest, "\(field): each item is one scope token, without spaces")
        }
        return items.joined(separator: " ")
    }

    /// The authentication methods named, checked by the core's rule.
    static func methods(_ names: [String]?) throws -> Set<ClientAuthenticationMethod>? {
        try bounded("auth_methods", names, count: 8, length: 40)
        return try names.map { try ClientAuthentication.methods(named: $0) }
    }

    /// The JWK set given.
    static func keys(_ jwks: Components.Schemas.JWKSet?) throws -> ClientKeySet? {
        guard let jwks else { return nil }
        // ClientKeySet bounds the set's size itself, as for --jwks-file.
        let json = String(decoding: try JSONEncoder().encode(jwks), as: UTF8.self)
        do {
            return try ClientKeySet(json: json)
        } catch {
            throw AdminProblem(.badRequest, "jwks: \(error)")
        }
    }

    static func resources(_ items: [String]?) throws -> [String]? {
        try bounded("resources", items, count: 100, length: 2000)
        return items
    }
}
