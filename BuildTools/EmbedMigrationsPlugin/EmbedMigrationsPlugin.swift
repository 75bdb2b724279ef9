import Foundation
import PackagePlugin

/// Compiles every `sql/migrations/*.sql` file of the package into the target that uses this plugin.
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
                executable: try context.tool(named: "EmbedMigrations").url,
                arguments: [migrations.path, output.path],
                inputFiles: files + [migrations],
                outputFiles: [output]
            )
        ]
    }
}
