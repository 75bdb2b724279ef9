import Foundation
import PackagePlugin

/// Compiles every `sql/migrations/*.sql` file of the package into the target that uses this plugin
/// (`EmbeddedMigrations.files`).
@main
struct EmbedMigrationsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let migrations = context.package.directoryURL.appending(path: "sql/migrations")
        let files = try FileManager.default.contentsOfDirectory(at: migrations, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) SQL migrations",
                executable: try context.tool(named: "EmbedFiles").url,
                arguments: ["EmbeddedMigrations", output.path] + files.map(\.path),
                inputFiles: files + [migrations],
                outputFiles: [output]
            )
        ]
    }
}
