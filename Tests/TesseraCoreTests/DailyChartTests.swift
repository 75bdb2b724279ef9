import Testing

@testable import TesseraPages

@Suite("Daily chart")
struct DailyChartTests {
    static let days = ["2026-12-06", "2026-12-07", "2026-12-08"]

    /// Each bar segment's top, height and hover text, in the order drawn.
    func segments(of chart: DailyChart) -> [(y: Int, height: Int, title: String)] {
        chart.html.text.matches(
            of: /<rect x="\d+" y="(\d+)" width="\d+" height="(\d+)" fill="[^"]*"><title>([^<]*)<\/title>/
        )
        .map { (Int($0.output.1)!, Int($0.output.2)!, String($0.output.3)) }
    }

    @Test("the table has a header and one row per day with the exact counts")
    func tableRows() {
        let chart = DailyChart(
            title: "Tokens issued per day", days: Self.days,
            series: [
                .init(name: "issued", color: "#1f4fd1", values: [12, 0, 7]),
                .init(name: "refused", color: "#a4161a", values: [1, 3, 0]),
            ])
        let text = chart.html.text
        #expect(text.contains("<table class=\"chart-data\" aria-labelledby=\"chart-tokens-issued-per-day\">"))
        #expect(
            text.contains(
                "<tr><th scope=\"col\">Day</th><th scope=\"col\">issued</th><th scope=\"col\">refused</th></tr>"))
        #expect(text.contains("<tr><th scope=\"row\">2026-12-06</th><td>12</td><td>1</td></tr>"))
        #expect(text.contains("<tr><th scope=\"row\">2026-12-07</th><td>0</td><td>3</td></tr>"))
        #expect(text.contains("<tr><th scope=\"row\">2026-12-08</th><td>7</td><td>0</td></tr>"))
        #expect(text.matches(of: /<tr>/).count == Self.days.count + 1)
    }

    @Test("segments are proportional to the axis maximum and stacked in the order of the series")
    func proportionalHeights() {
        let single = DailyChart(
            title: "Users", days: Self.days, series: [.init(name: "users", color: "#1f4fd1", values: [10, 5, 0])])
        let drawn = segments(of: single)
        #expect(drawn.map(\.height) == [DailyChart.plotHeight, DailyChart.plotHeight / 2])
        #expect(drawn.map(\.y) == [DailyChart.plotTop, DailyChart.plotTop + DailyChart.plotHeight / 2])
        #expect(drawn.map(\.title) == ["2026-12-06: 10 users", "2026-12-07: 5 users"])

        let stacked = DailyChart(
            title: "Tokens", days: ["2026-12-08"],
            series: [
                .init(name: "issued", color: "#1f4fd1", values: [6]),
                .init(name: "refused", color: "#a4161a", values: [4]),
            ])
        let parts = segments(of: stacked)
        #expect(parts.map(\.title) == ["2026-12-08: 6 issued", "2026-12-08: 4 refused"])
        #expect(parts.map(\.height) == [DailyChart.plotHeight * 6 / 10, DailyChart.plotHeight * 4 / 10])
        #expect(parts[0].y == parts[1].y + parts[1].height, "the second segment sits on the first")
        #expect(parts[0].y + parts[0].height == DailyChart.plotBottom)
    }

    @Test("all-zero counts draw no bar and an axis from 0 to 1, with no NaN or infinity")
    func allZero() {
        let chart = DailyChart(
            title: "Quiet month", days: Self.days, series: [.init(name: "issued", color: "#1f4fd1", values: [0, 0, 0])])
        let text = chart.html.text
        #expect(!text.contains("NaN") && !text.lowercased().contains("inf") && !text.contains("e+"))
        #expect(segments(of: chart).allSatisfy { $0.height == 0 })
        #expect(text.contains("text-anchor=\"end\" fill=\"#555\">0</text>"))
        #expect(text.contains("text-anchor=\"end\" fill=\"#555\">1</text>"))
    }

    @Test("an empty chart renders without bars or day labels")
    func noDays() {
        let chart = DailyChart(
            title: "Nothing yet", days: [], series: [.init(name: "issued", color: "#1f4fd1", values: [])])
        #expect(segments(of: chart).isEmpty)
        #expect(chart.html.text.contains("<tbody>\n</tbody>"))
    }

    @Test("the title, day labels and series names are escaped")
    func escapesText() {
        let chart = DailyChart(
            title: "<script>alert(1)</script>", days: ["<b>day</b>"],
            series: [.init(name: "\"><img src=x>", color: "#1f4fd1", values: [1])])
        let text = chart.html.text
        #expect(!text.contains("<script>") && !text.contains("<b>") && !text.contains("<img"))
        #expect(
            text.contains(
                "<figcaption id=\"chart-script-alert-1-script\">&lt;script&gt;alert(1)&lt;/script&gt;</figcaption>"))
        #expect(text.contains("&lt;b&gt;day&lt;/b&gt;: 1 &quot;&gt;&lt;img src=x&gt;"))
    }

    @Test("nothing the content security policy would block: no style attribute, style element or script")
    func noInlineStyle() {
        let chart = DailyChart(
            title: "Tokens issued per day", days: (1...30).map { "2026-11-\($0)" },
            series: [
                .init(name: "issued", color: "#1f4fd1", values: Array(1...30)),
                .init(name: "refused", color: "#a4161a", values: Array(repeating: 2, count: 30)),
            ])
        let text = chart.html.text.lowercased()
        #expect(!text.contains("style=") && !text.contains("<style") && !text.contains("<script"))
    }

    @Test("of thirty days only the first, middle and last are labelled")
    func dayLabels() {
        let days = (1...30).map { "2026-11-\($0)" }
        let chart = DailyChart(
            title: "Users", days: days,
            series: [.init(name: "users", color: "#1f4fd1", values: Array(repeating: 1, count: 30))])
        let labels = chart.html.text.matches(of: /fill="#555">(2026-[^<]*)<\/text>/).map { String($0.output.1) }
        #expect(labels == ["2026-11-1", "2026-11-15", "2026-11-30"])
    }

    @Test("ids come from the title, so two charts on a page label their own drawings")
    func ids() {
        #expect(DailyChart.id(for: "Tokens issued per day") == "chart-tokens-issued-per-day")
        #expect(DailyChart.id(for: "  Users / App (30 days)!") == "chart-users-app-30-days")
        #expect(DailyChart.id(for: "") == "chart")
        let chart = DailyChart(title: "Users", days: Self.days, series: [])
        #expect(
            chart.html.text.contains(
                "<svg viewBox=\"0 0 640 240\" width=\"100%\" role=\"img\" aria-labelledby=\"chart-users\""))
    }

    @Test(
        "the axis maximum is the next of 1, 2, 5 × 10ⁿ",
        arguments: [
            (0, 1), (1, 1), (2, 2), (3, 5), (10, 10), (11, 20), (37, 50), (120, 200), (999, 1000), (5001, 10000),
        ])
    func axisMaximum(total: Int, maximum: Int) {
        #expect(DailyChart.axisMaximum(forLargestTotal: total) == maximum)
    }
}
