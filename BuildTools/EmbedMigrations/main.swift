// Turns sql/migrations/*.sql into one Swift source file at build time, so that an installed `tessera`
// binary can migrate a database without the checkout, and the SQL files stay the only copy.
// Usage: EmbedMigrations <migrations-dir> <output.swift>
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: EmbedMigrations <migrations-dir> <output.swift>\n".utf8))
    exit(2)
}
let directory = URL(fileURLWithPath: arguments[1], isDirectory: true)
let output = URL(fileURLWithPath: arguments[2])

let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    .filter { $0.hasSuffix(".sql") }
    .sorted()

var source = """
    // Generated at build time from sql/migrations by BuildTools/EmbedMigrations. Do not edit.
    enum EmbeddedMigrations {
        static let files: [(name: String, sql: String)] = [

    """
for name in names {
    let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    // A raw string whose delimiter cannot occur in the file keeps the SQL byte for byte.
    var hashes = "#"
    while text.contains("\"\"\"" + hashes) || text.contains("\"" + hashes) { hashes += "#" }
    source += "        (\"\(name)\", \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)),\n"
}
source += "    ]\n}\n"
try source.write(to: output, atomically: true, encoding: .utf8)
