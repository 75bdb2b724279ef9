import Foundation
import HTTPTypes
import TesseraCore
import TesseraPostgres

// Changing a running application's settings: `app set-scopes`, `app set-tokens` and `app set-auth` over HTTP, each
// one operation in one transaction with its audit event. Every server follows through the change feed.
extension AdminAPI {
    func setApplicationScopes(_ input: Operations.SetApplicationScopes.Input) async throws
        -> Operations.SetApplicationScopes.Output
    {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let allowedText = try AdminInput.scopeText("scopes", body.scopes) ?? ""
        let defaultsText = try AdminInput.scopeText("default_scopes", body.defaultScopes)
        let (allowed, defaults) = try ApplicationSettings.scopes(
            allowed: allowedText, defaults: defaultsText ?? allowedText)
        let record = try await database {
            try await administration.setScopes(
                tenant: domain, consumerKey: key, allowed: allowed, defaults: defaultsText == nil ? nil : defaults)
        }
        return .ok(.init(body: .json(.init(record))))
    }

    func setApplicationTokens(_ input: Operations.SetApplicationTokens.Input) async throws
        -> Operations.SetApplicationTokens.Output
    {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let resources = try AdminInput.resources(body.resources)
        let format = body.tokenFormat.flatMap { ClientApplication.TokenFormat(rawValue: $0.rawValue) }
        let record = try await database {
            // What is left out stays as the application has it, as with the CLI.
            let current = try await administration.application(tenant: domain, consumerKey: key)
            let tokens = try TokenAudience(
                format: format ?? ClientApplication.TokenFormat(rawValue: current.tokenFormat) ?? .opaque,
                resources: resources ?? current.resources)
            return try await administration.setTokens(tenant: domain, consumerKey: key, tokens: tokens)
        }
        return .ok(.init(body: .json(.init(record))))
    }

    func setApplicationAuthentication(_ input: Operations.SetApplicationAuthentication.Input) async throws
        -> Operations.SetApplicationAuthentication.Output
    {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let (methods, given) = (try AdminInput.methods(body.authMethods), try AdminInput.keys(body.jwks))
        let record = try await database {
            let stored = try await administration.authentication(tenant: domain, consumerKey: key)
            let chosen = try ClientAuthentication.chosen(
                methods: methods, given: given, givenURL: body.jwksUri, stored: stored)
            return try await administration.setAuthentication(tenant: domain, consumerKey: key, authentication: chosen)
        }
        return .ok(.init(body: .json(.init(record))))
    }
}

extension AdminAPI {
    func setApplicationRedirectURIs(_ input: Operations.SetApplicationRedirectURIs.Input) async throws
        -> Operations.SetApplicationRedirectURIs.Output
    {
        let (domain, key) = (input.path.tenant, input.path.consumerKey)
        let administration = try administration(of: domain)
        guard case .json(let body) = input.body else { throw AdminProblem(.unsupportedMediaType, "send JSON") }
        let record = try await database {
            try await administration.setRedirectURIs(tenant: domain, consumerKey: key, uris: body.redirectUris)
        }
        return .ok(.init(body: .json(.init(record))))
    }
}
