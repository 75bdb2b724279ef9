import ArgumentParser
import TesseraPostgres

/// How long a replaced secret stays valid (`app rotate-secret --grace`): a number with a unit, `90s`, `30m`, `24h` or
/// `7d`, up to 30 days. Long enough for a monthly deploy cycle; any longer and the old secret is simply a second
/// long-lived secret.
struct GracePeriod: ExpressibleByArgument, Equatable {
    let seconds: Int

    private static let units: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]

    init?(argument: String) {
        guard let unit = argument.last.flatMap({ Self.units[$0] }), argument.count <= 12,
            let count = Int(argument.dropLast()), count >= 0
        else { return nil }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unit)
        guard !overflow, seconds <= DirectoryAdministration.maximumGrace else { return nil }
        self.seconds = seconds
    }

    static var defaultValueDescription: String { "none" }
}
