import Crypto
import Foundation
import TesseraCore

/// One forward-only schema change: a file `sql/migrations/NNNN_name.sql`, compiled into the binary.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file, hex: an applied migration whose file changed afterwards is refused.
    public let checksum: String

    public init(name: String, sql: String) throws(MigrationError) {
        guard let prefix = name.split(separator: "_", maxSplits: 1).first, let version = Int(prefix), version > 0,
            name.hasSuffix(".sql")
        else {
            throw MigrationError("migration file \(name) must be named NNNN_description.sql")
        }
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).hexadecimal
    }

    /// The migrations of `sql/migrations`, in version order, as they were when this binary was built.
    public static func embedded() throws(MigrationError) -> [Migration] {
        var migrations: [Migration] = []
        for file in EmbeddedMigrations.files {
            migrations.append(try Migration(name: file.name, sql: file.text))
        }
        return try ordered(migrations)
    }

    /// Sorted by version; two files with one version are an error.
    public static func ordered(_ migrations: [Migration]) throws(MigrationError) -> [Migration] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw MigrationError("migrations \(previous.name) and \(next.name) share version \(next.version)")
        }
        return sorted
    }
}

/// A migration problem, said in one line for the operator.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
