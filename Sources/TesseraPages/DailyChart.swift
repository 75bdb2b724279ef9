/// Counts per day as stacked bars, drawn on the server as SVG: the console needs no script, and the content security
/// policy allows no inline style, so the drawing uses presentation attributes only. A table after the drawing holds
/// the same numbers, for screen readers and for anyone who wants the exact values (folded in a `<details>`, which
/// opens without a script).
///
/// ```swift
/// let chart = DailyChart(
///     title: "Tokens issued per day", days: ["2026-12-07", "2026-12-08"],
///     series: [
///         .init(name: "issued", color: "#1f4fd1", values: [40, 52]),
///         .init(name: "refused", color: "#a4161a", values: [3, 0]),
///     ])
/// let content: HTML = "<h2>Tokens</h2>\(chart.html)"
/// ```
public struct DailyChart: Sendable {
    /// One segment of every day's bar.
    public struct Series: Sendable {
        public let name: String
        /// `#rrggbb`, a constant of the page, never input.
        public let color: String
        /// One count per day, in the order of the chart's `days`.
        public let values: [Int]

        public init(name: String, color: String, values: [Int]) {
            self.name = name
            self.color = color
            self.values = values
        }
    }

    /// The figure's caption, and the name of its drawing and its table.
    public let title: String
    /// One label per bar, oldest first.
    public let days: [String]
    /// Stacked bottom to top in this order.
    public let series: [Series]

    public init(title: String, days: [String], series: [Series]) {
        precondition(series.allSatisfy { $0.values.count == days.count }, "every series has one value per day")
        precondition(series.allSatisfy { $0.values.allSatisfy { $0 >= 0 } }, "counts are never negative")
        self.title = title
        self.days = days
        self.series = series
    }

    // The viewBox's coordinates. All whole numbers, so the markup never holds a fraction, an exponent or a NaN.
    static let width = 640
    static let height = 240
    static let plotLeft = 48
    static let plotRight = 632
    static let plotTop = 12
    static let plotBottom = 212
    static let plotHeight = plotBottom - plotTop
    static let widestBar = 48

    public var html: HTML {
        let id = Self.id(for: title)
        let totals = days.indices.map { day in series.reduce(0) { $0 + $1.values[day] } }
        let maximum = Self.axisMaximum(forLargestTotal: totals.max() ?? 0)
        let columnHeads = series.map { series -> HTML in "<th scope=\"col\">\(series.name)</th>" }
        return """
            <figure class="daily-chart">
            <figcaption id="\(id)">\(title)</figcaption>
            <svg viewBox="0 0 \(Self.width) \(Self.height)" width="100%" role="img" aria-labelledby="\(id)" \
            font-family="system-ui, sans-serif" font-size="11">
            \(Self.valueAxis(maximum: maximum))\(bars(maximum: maximum))\(dayLabels)</svg>
            <ul class="chart-legend">
            \(legend)</ul>
            <details class="chart-data-details"><summary>The numbers, day by day</summary>
            <table class="chart-data" aria-labelledby="\(id)">
            <thead><tr><th scope="col">Day</th>\(columnHeads)</tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            </details>
            </figure>
            """
    }

    /// The smallest of 1, 2, 5, 10, 20, 50, … that is at least `total`, so the axis reads in round numbers; 1 when
    /// there is nothing to draw, so the scale never divides by zero.
    static func axisMaximum(forLargestTotal total: Int) -> Int {
        var magnitude = 1
        while true {
            for step in [1, 2, 5] where step * magnitude >= total { return step * magnitude }
            guard magnitude <= Int.max / 50 else { return total }
            magnitude *= 10
        }
    }

    /// The title as an id (`Tokens issued per day` → `chart-tokens-issued-per-day`), so that each chart on a page
    /// labels its own drawing and table.
    static func id(for title: String) -> String {
        var id = "chart"
        var separated = true
        for scalar in title.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                if separated { id += "-" }
                id.unicodeScalars.append(scalar)
                separated = false
            } else {
                separated = true
            }
        }
        return id
    }

    /// The height of `value` on an axis up to `maximum`. Segments are placed by their running totals, so rounding
    /// never opens a gap or an overlap between them.
    static func y(_ value: Int, maximum: Int) -> Int {
        plotBottom - Int((Double(value) * Double(plotHeight) / Double(maximum)).rounded())
    }

    /// Day `day`'s share of the plot's width, from `start` up to `end`.
    func slot(_ day: Int) -> (start: Int, end: Int) {
        let width = Self.plotRight - Self.plotLeft
        return (Self.plotLeft + day * width / days.count, Self.plotLeft + (day + 1) * width / days.count)
    }

    /// Lines at 0, the maximum and, when it is a whole number, half of it, each labelled.
    static func valueAxis(maximum: Int) -> [HTML] {
        let ticks = maximum % 2 == 0 ? [0, maximum / 2, maximum] : [0, maximum]
        return ticks.map { tick -> HTML in
            let level = y(tick, maximum: maximum)
            let stroke = tick == 0 ? "#8a93a6" : "#e1e4ea"
            return """
                <line x1="\(plotLeft)" y1="\(level)" x2="\(plotRight)" y2="\(level)" stroke="\(stroke)"/>
                <text x="\(plotLeft - 6)" y="\(level + 4)" text-anchor="end" fill="#555">\(tick)</text>

                """
        }
    }

    func bars(maximum: Int) -> [HTML] {
        days.indices.flatMap { day -> [HTML] in
            let (start, end) = slot(day)
            let barWidth = max(1, min(end - start - (end - start) / 5, Self.widestBar))
            let x = start + (end - start - barWidth) / 2
            var stacked = 0
            return series.compactMap { series -> HTML? in
                let value = series.values[day]
                guard value > 0 else { return nil }
                let bottom = Self.y(stacked, maximum: maximum)
                stacked += value
                let top = Self.y(stacked, maximum: maximum)
                return """
                    <rect x="\(x)" y="\(top)" width="\(barWidth)" height="\(bottom - top)" fill="\(series.color)">\
                    <title>\(days[day]): \(value) \(series.name)</title></rect>

                    """
            }
        }
    }

    /// The first, middle and last day only: thirty labels would overlap.
    var dayLabels: [HTML] {
        guard let last = days.indices.last else { return [] }
        return Set([0, last / 2, last]).sorted().map { day -> HTML in
            let (start, end) = slot(day)
            // The outer labels align with the drawing's edges rather than run off them.
            let (x, anchor) =
                switch day {
                case 0 where last > 0: (start, "start")
                case last where last > 0: (end, "end")
                default: ((start + end) / 2, "middle")
                }
            return """
                <text x="\(x)" y="\(Self.plotBottom + 18)" text-anchor="\(anchor)" fill="#555">\(days[day])</text>

                """
        }
    }

    var legend: [HTML] {
        series.map { series -> HTML in
            """
            <li><svg width="10" height="10" aria-hidden="true">\
            <rect width="10" height="10" fill="\(series.color)"/></svg> \(series.name)</li>

            """
        }
    }

    var rows: [HTML] {
        days.indices.map { day -> HTML in
            let cells = series.map { series -> HTML in "<td>\(series.values[day])</td>" }
            return "<tr><th scope=\"row\">\(days[day])</th>\(cells)</tr>\n"
        }
    }
}
