import Foundation
import Testing

/// An administration command says the database cannot be reached only when it cannot: refused input exits 1 with
/// its own reason, an unreachable database exits 69 (EX_UNAVAILABLE) with the database's reason.
@Suite("Command errors, end to end")
struct CommandErrorsEndToEndTests {
    /// A port where nothing listens: every connection is refused.
    static let unreachableDatabase = "postgres://tessera@127.0.0.1:1/tessera"

    /// The `Error:` lines of a failed command's standard error.
    static func errorLines(_ result: TesseraBinary.Result) -> [Substring] {
        result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }
    }

    @Test(
        "refused input with the database up: exit 1, one line with the reason, nothing about reaching the database",
        arguments: [
            (["app", "create", "--name", "x", "--grant-types", "implicit"], "unknown grant type"),
            (["app", "create", "--tenant", "nosuch.test", "--name", "x"], "no tenant nosuch.test"),
            (["app", "list", "--tenant", "nosuch.test"], "no tenant nosuch.test"),
            (["tenant", "create"], "already exists"),
            (["user", "list", "--tenant", "nosuch.test"], "no tenant nosuch.test"),
        ])
    func refusedInput(_ arguments: [String], _ reason: String) async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "errors-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        // Commands that name no tenant of their own act on the one just created.
        let command =
            arguments == ["tenant", "create"]
            ? arguments + [domain]
            : arguments.contains("--tenant") ? arguments : arguments + ["--tenant", domain]
        let result = try await TesseraBinary.run(command, databaseURL: database)
        #expect(result.status == 1, "\(result.error)")
        let lines = Self.errorLines(result)
        #expect(lines.count == 1 && lines.first?.contains(reason) == true, "\(result.error)")
        #expect(!result.error.contains("cannot reach") && !result.error.contains("unavailable"), "\(result.error)")
    }

    @Test(
        "a database nobody listens on: exit 69 within seconds, one line saying it cannot be reached and why",
        arguments: [
            ["migrate"], ["tenant", "list"], ["app", "create", "--tenant", "acme.test", "--name", "x"],
            ["user", "list", "--tenant", "acme.test"],
        ])
    func unreachableDatabase(_ arguments: [String]) async throws {
        let started = ContinuousClock.now
        let result = try await TesseraBinary.run(arguments, databaseURL: Self.unreachableDatabase)
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(result.status == 69, "\(result.error)")
        let lines = Self.errorLines(result)
        #expect(lines.count == 1, "\(result.error)")
        #expect(lines.first?.contains("cannot reach the database at postgres://tessera@127.0.0.1:1/tessera") == true)
        #expect(lines.first?.contains("refused") == true, "the database's own reason: \(result.error)")
    }

    @Test("refused input is refused before the database is tried: exit 1 even when it cannot be reached")
    func inputBeforeDatabase() async throws {
        let result = try await TesseraBinary.run(
            ["app", "create", "--tenant", "acme.test", "--name", "x", "--grant-types", "implicit"],
            databaseURL: Self.unreachableDatabase)
        #expect(result.status == 1, "\(result.error)")
        let lines = Self.errorLines(result)
        #expect(lines.count == 1 && lines.first?.contains("unknown grant type") == true, "\(result.error)")
    }
}
