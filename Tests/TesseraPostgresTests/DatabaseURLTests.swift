import Testing

@testable import TesseraPostgres

/// `DATABASE_URL` as libpq reads it: one host or a list, `sslmode`, and `target_session_attrs`.
@Suite("Database URLs")
struct DatabaseURLTests {
    @Test("one host: its port, or 5432; no TLS on loopback unless asked; any host will do")
    func oneHost() throws {
        let url = try DatabaseURL("postgres://tessera:secret@db.example:6543/tessera?sslmode=require")
        #expect(url.endpoints == [.init(host: "db.example", port: 6543)])
        #expect(url.sslMode == .require && url.targetSessionAttributes == .any)
        #expect(url.description == "postgres://tessera@db.example:6543/tessera")
        let local = try DatabaseURL("postgres://tessera@127.0.0.1/tessera")
        #expect(local.port == 5432 && local.sslMode == .disable)
    }

    @Test("a host list with target_session_attrs=read-write, as pg_auto_failover prints it")
    func hostList() throws {
        let url = try DatabaseURL(
            "postgres://tessera:pw@10.0.0.1:5432,10.0.0.2:5433,[::1]:5434,db3/tessera?target_session_attrs=read-write")
        #expect(
            url.endpoints == [
                .init(host: "10.0.0.1", port: 5432), .init(host: "10.0.0.2", port: 5433),
                .init(host: "::1", port: 5434), .init(host: "db3", port: 5432),
            ])
        #expect(url.username == "tessera" && url.password == "pw" && url.database == "tessera")
        #expect(url.targetSessionAttributes == .readWrite && url.sslMode == .prefer)
        #expect(url.description == "postgres://tessera@10.0.0.1:5432,10.0.0.2:5433,[::1]:5434,db3:5432/tessera")
        let second = url.only(url.endpoints[1])
        #expect(second.endpoints.count == 1 && second.host == "10.0.0.2" && second.port == 5433)
        #expect(second.password == "pw" && second.targetSessionAttributes == .readWrite)
        let local = try DatabaseURL("postgres://t@127.0.0.1:1,localhost:2/d?target_session_attrs=primary")
        #expect(local.sslMode == .disable && local.targetSessionAttributes == .readWrite)
    }

    @Test(
        "refused: a bad port or an empty host in the list, an unknown target_session_attrs",
        arguments: [
            "postgres://t@h1:5432,h2:x/d", "postgres://t@h1,,h2/d", "postgres://t@h1,h2/d?target_session_attrs=standby",
        ])
    func refused(_ text: String) {
        #expect(throws: DatabaseURLError.self) { try DatabaseURL(text) }
    }
}
