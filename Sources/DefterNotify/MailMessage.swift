public import Foundation

/// An e-mail as the SMTP client sends it: UTF-8 headers encoded per RFC 2047, a plain-text body
/// in quoted-printable (so the message is 7-bit and any server takes it), a `Message-ID` made
/// from the notification's command id so that a receiver can drop a redelivery.
public struct MailMessage: Sendable, Equatable {
    /// The envelope and `From:` address.
    public let from: String
    /// The display name for `From:` (e.g. `ALO 153`).
    public let fromName: String?
    /// The recipient.
    public let to: String
    public let subject: String
    /// The body, lines separated by `\n`.
    public let text: String
    /// The stable id the `Message-ID` is made from (the notification's command id).
    public let id: String
    /// The `Date:` header's moment.
    public let date: Date

    /// Describes a message.
    public init(from: String, fromName: String?, to: String, subject: String, text: String, id: String, date: Date) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.text = text
        self.id = id
        self.date = date
    }

    /// `<id@domain>`: the id with every character outside `[A-Za-z0-9.-]` made a `.`, at the
    /// sender's domain. The same notification always has the same `Message-ID`.
    public var messageID: String {
        let local = String(String.UnicodeScalarView(id.unicodeScalars.map { Self.isIDCharacter($0) ? $0 : "." }))
        let domain = from.split(separator: "@").last.map(String.init) ?? "defter.invalid"
        return "<\(local)@\(domain)>"
    }

    private static func isIDCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == ".")
    }

    /// The message's bytes as sent after `DATA`, CRLF line ends, before dot-stuffing.
    public func rendered() -> String {
        var headers: [String] = []
        let sender = fromName.map { "\(Self.encodedWords($0)) <\(from)>" } ?? "<\(from)>"
        headers.append("From: \(sender)")
        headers.append("To: <\(to)>")
        headers.append("Subject: \(Self.encodedWords(subject))")
        headers.append("Date: \(Self.rfc5322Date(date))")
        headers.append("Message-ID: \(messageID)")
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: text/plain; charset=UTF-8")
        headers.append("Content-Transfer-Encoding: quoted-printable")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + Self.quotedPrintable(text)
    }

    /// `text` as RFC 2047 encoded words (`=?UTF-8?B?...?=`), each at most 75 characters and
    /// never splitting a character, folded with CRLF SPACE; plain ASCII without `=?` stays as is.
    public static func encodedWords(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f }) && !text.contains("=?") {
            return text
        }
        // 75 - "=?UTF-8?B?".count - "?=".count = 63 characters of base64 = 45 bytes at most.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `text` in quoted-printable (RFC 2045): lines end in CRLF, none longer than 76 characters
    /// (soft breaks with `=`), non-ASCII bytes, `=` and trailing spaces as `=XX`.
    public static func quotedPrintable(_ text: String) -> String {
        var out: [String] = []
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines {
            let bytes = Array(line.utf8)
            var current = ""
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let token: String
                if byte == 0x3d || byte >= 0x7f || (byte < 0x20 && byte != 0x09) || ((byte == 0x20 || byte == 0x09) && last) {
                    token = "=" + String(format: "%02X", byte)
                } else {
                    token = String(UnicodeScalar(byte))
                }
                if current.utf8.count + token.utf8.count > 75 {
                    out.append(current + "=")
                    current = ""
                }
                current += token
            }
            out.append(current)
        }
        return out.joined(separator: "\r\n")
    }

    /// Dot-stuffing (RFC 5321 4.5.2): a line that begins with `.` gets another, so that no line
    /// of the message reads as the end of `DATA`; bare LFs become CRLF.
    public static func dotStuffed(_ message: String) -> String {
        let lines = message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        return lines.map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
