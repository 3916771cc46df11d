/// Bar charts drawn as inline SVG: no script, no external asset, printable.
enum SVGChart {
    /// One bar: its label and value.
    struct Bar {
        let label: String
        let value: Int
    }

    /// Vertical bars side by side (months, hours).
    static func columns(_ bars: [Bar], title: String, valueText: (Int) -> String) -> String {
        let width = 760
        let height = 240
        let top = 24
        let bottom = 28
        let left = 8
        let plot = height - top - bottom
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        let slot = bars.isEmpty ? 0 : Double(width - 2 * left) / Double(bars.count)
        var svg = svgOpen(width: width, height: height, title: title)
        for (index, bar) in bars.enumerated() {
            let barHeight = Double(plot) * Double(bar.value) / Double(maximum)
            let x = Double(left) + Double(index) * slot + slot * 0.15
            let y = Double(top + plot) - barHeight
            svg += #"<rect x="\#(fixed(x))" y="\#(fixed(y))" width="\#(fixed(slot * 0.7))" height="\#(fixed(barHeight))" class="bar"/>"#
            let center = fixed(Double(left) + (Double(index) + 0.5) * slot)
            svg += #"<text x="\#(center)" y="\#(height - 10)" class="axis">\#(HTML.escape(bar.label))</text>"#
            if bars.count <= 16 {
                svg += #"<text x="\#(center)" y="\#(fixed(y - 4))" class="value">\#(HTML.escape(valueText(bar.value)))</text>"#
            }
        }
        return svg + "</svg>"
    }

    /// Horizontal bars, one row each (departments, channels, districts).
    static func rows(_ bars: [Bar], title: String, valueText: (Int) -> String) -> String {
        let width = 760
        let row = 22
        let labelWidth = 300
        let valueWidth = 80
        let height = max(row * bars.count + 8, 30)
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        var svg = svgOpen(width: width, height: height, title: title)
        for (index, bar) in bars.enumerated() {
            let y = 4 + index * row
            let length = Double(width - labelWidth - valueWidth - 8) * Double(bar.value) / Double(maximum)
            svg += #"<text x="\#(labelWidth - 6)" y="\#(y + 15)" class="label">\#(HTML.escape(shortened(bar.label)))</text>"#
            svg += #"<rect x="\#(labelWidth)" y="\#(y + 3)" width="\#(fixed(length))" height="\#(row - 6)" class="bar"/>"#
            svg +=
                #"<text x="\#(fixed(Double(labelWidth) + length + 6))" y="\#(y + 15)" class="count">\#(HTML.escape(valueText(bar.value)))</text>"#
        }
        return svg + "</svg>"
    }

    /// Labels longer than the label column are cut with an ellipsis (the table beside the chart
    /// gives them in full).
    private static func shortened(_ label: String) -> String {
        label.count <= 46 ? label : String(label.prefix(45)) + "…"
    }

    private static func svgOpen(width: Int, height: Int, title: String) -> String {
        #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(width) \#(height)" width="100%" role="img" aria-label="\#(HTML.escape(title))"><title>\#(HTML.escape(title))</title>"#
    }

    /// One decimal, written the same on every machine.
    static func fixed(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}

/// Escaping text for HTML and SVG.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
