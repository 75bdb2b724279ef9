import Foundation
import Testing

@testable import TesseraPostgres

@Suite("SQL script splitting")
struct SQLScriptTests {
    struct Example: Sendable, CustomTestStringConvertible {
        let label: String
        let script: String
        let statements: [String]
        var testDescription: String { label }
    }

    static let examples: [Example] = [
        Example(label: "plain statements", script: "SELECT 1; SELECT 2;", statements: ["SELECT 1", "SELECT 2"]),
        Example(
            label: "last statement without a semicolon", script: "SELECT 1;\nSELECT 2\n",
            statements: ["SELECT 1", "SELECT 2"]),
        Example(label: "empty statements and blank lines", script: ";;\n  ;SELECT 1;;\n\n", statements: ["SELECT 1"]),
        Example(
            label: "semicolon in a string", script: "SELECT 'a;b'; SELECT 2", statements: ["SELECT 'a;b'", "SELECT 2"]),
        Example(
            label: "doubled quote in a string", script: "SELECT 'it''s; ok'; SELECT 2",
            statements: ["SELECT 'it''s; ok'", "SELECT 2"]),
        Example(
            label: "semicolon in a quoted identifier", script: "CREATE TABLE \"a;b\" (x int); SELECT 2",
            statements: ["CREATE TABLE \"a;b\" (x int)", "SELECT 2"]),
        Example(
            label: "line comment with a semicolon", script: "-- one; two\nSELECT 1; -- three; four\nSELECT 2",
            statements: ["SELECT 1", "SELECT 2"]),
        Example(
            label: "block comment with a semicolon", script: "/* one; two */ SELECT 1; SELECT /* ; */ 2",
            statements: ["SELECT 1", "SELECT   2"]),
        Example(label: "a script of comments only", script: "-- nothing; here\n/* nor; here */\n", statements: []),
        Example(
            label: "$$ function body",
            script: "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql; SELECT 2",
            statements: ["CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql", "SELECT 2"]),
        Example(
            label: "tagged dollar body holding $$", script: "DO $outer$ BEGIN PERFORM $$;$$; END $outer$; SELECT 2",
            statements: ["DO $outer$ BEGIN PERFORM $$;$$; END $outer$", "SELECT 2"]),
        Example(
            label: "quote and comment marks inside a dollar body",
            script: "DO $$ BEGIN RAISE NOTICE 'x -- y /* z'; END $$; SELECT 2",
            statements: ["DO $$ BEGIN RAISE NOTICE 'x -- y /* z'; END $$", "SELECT 2"]),
        Example(
            label: "positional parameter is not a dollar quote", script: "PREPARE p AS SELECT $1; SELECT 2",
            statements: ["PREPARE p AS SELECT $1", "SELECT 2"]),
    ]

    @Test("statements split at semicolons outside quotes, comments and dollar bodies", arguments: examples)
    func splits(_ example: Example) {
        #expect(SQLScript.statements(example.script) == example.statements)
    }

    // A dollar-quote tag follows the rules of an identifier: digits are allowed after the first character.
    @Test("a dollar tag with digits is a dollar body")
    func dollarTagWithDigits() {
        let script = "CREATE FUNCTION f() RETURNS int AS $body1$ BEGIN RETURN 1; END $body1$ LANGUAGE plpgsql; SELECT 2"
        #expect(
            SQLScript.statements(script) == [
                "CREATE FUNCTION f() RETURNS int AS $body1$ BEGIN RETURN 1; END $body1$ LANGUAGE plpgsql", "SELECT 2",
            ])
    }

    // In an escape string (E'...') a backslash escapes the quote that follows it.
    @Test("a semicolon after an escaped quote in an E'' string does not split")
    func escapeString() {
        #expect(SQLScript.statements(#"SELECT E'it\'s; ok'; SELECT 2"#) == [#"SELECT E'it\'s; ok'"#, "SELECT 2"])
    }

    // PostgreSQL block comments nest.
    @Test("a semicolon in a nested block comment does not split")
    func nestedComment() {
        #expect(SQLScript.statements("/* a /* b */ c; d */ SELECT 1; SELECT 2") == ["SELECT 1", "SELECT 2"])
    }

    @Test("the embedded migrations are the files of sql/migrations, byte for byte")
    func embeddedMatchFiles() throws {
        let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql/migrations")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        let embedded = try Migration.embedded()
        #expect(embedded.map(\.name) == names)
        for migration in embedded {
            let file = try String(contentsOf: directory.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(migration.sql == file, "\(migration.name) differs from its file")
        }
    }
}
