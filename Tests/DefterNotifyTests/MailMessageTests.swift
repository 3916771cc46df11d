import DefterNotify
import Foundation
import Testing

@Suite struct MailMessageTests {
    let message = MailMessage(
        from: "alo153@belediye.example", fromName: "ALO 153 Çağrı Merkezi", to: "vatandas@example.com",
        subject: "Başvurunuz çözüldü: 2025-000123", text: "ALO 153: 2025-000123 numaralı başvurunuz çözüldü.\n.\n..nokta",
        id: "notify:2025-000123:57", date: Date(timeIntervalSince1970: 1_740_816_900))

    @Test("a line that begins with a dot gets a second one, so it cannot end DATA early")
    func dotStuffing() {
        #expect(MailMessage.dotStuffed("a\r\n.\r\n..b\r\nc.d") == "a\r\n..\r\n...b\r\nc.d")
        #expect(MailMessage.dotStuffed(".first\nsecond") == "..first\r\nsecond")
        let stuffed = MailMessage.dotStuffed(message.rendered())
        #expect(!stuffed.components(separatedBy: "\r\n").contains("."))
    }

    @Test("a Turkish subject becomes RFC 2047 encoded words of at most 75 characters that decode back")
    func encodedWords() throws {
        let subject = "Başvurunuz çözüldü: 2025-000123 — Şehir Işıkları Ğğ İı Öö Üü Çç Şş, uzun bir konu satırı"
        let encoded = MailMessage.encodedWords(subject)
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var decoded = Data()
        for word in words {
            #expect(word.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let base64 = word.dropFirst(10).dropLast(2)
            let chunk = try #require(Data(base64Encoded: String(base64)))
            // Each word decodes alone: no character is split between two.
            #expect(String(data: chunk, encoding: .utf8) != nil)
            decoded.append(chunk)
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
        #expect(MailMessage.encodedWords("plain ascii") == "plain ascii")
    }

    @Test("the body is quoted-printable: 7-bit, lines of at most 76, Turkish letters as =XX")
    func quotedPrintable() {
        let long = String(repeating: "ğ", count: 60) + " son "
        let encoded = MailMessage.quotedPrintable("çözüldü = tamam\n" + long)
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
            #expect(line.utf8.allSatisfy { $0 < 0x80 })
        }
        #expect(encoded.hasPrefix("=C3=A7=C3=B6z=C3=BCld=C3=BC =3D tamam\r\n"))
        #expect(encoded.hasSuffix("son=20"))
    }

    @Test("the Message-ID comes from the command id, so a redelivery has the same one")
    func messageID() {
        #expect(message.messageID == "<notify.2025-000123.57@belediye.example>")
        let rendered = message.rendered()
        #expect(rendered.contains("Message-ID: <notify.2025-000123.57@belediye.example>\r\n"))
        #expect(rendered.contains("Subject: =?UTF-8?B?"))
        #expect(rendered.contains("To: <vatandas@example.com>\r\n"))
        #expect(rendered.contains("Date: Sat, 01 Mar 2025 08:15:00 +0000\r\n"))
        #expect(rendered.contains("\r\n\r\n"))
    }
}

@Suite struct NotifyConfigurationTests {
    let webhook = WebhookSettings(
        url: "https://sms.example/api/send", headers: ["Authorization": "Bearer x"],
        body: #"{"to": "{{to}}", "message": "{{text}}", "ref": "{{id}}"}"#)

    @Test("the webhook body escapes every value for JSON, quotes and newlines included")
    func bodyEscapes() throws {
        let body = webhook.renderBody(["to": "+905321234567", "text": "Başvuru \"2025-000123\"\nçözüldü\\", "id": "notify:1:2"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        #expect(object == ["to": "+905321234567", "message": "Başvuru \"2025-000123\"\nçözüldü\\", "ref": "notify:1:2"])
    }

    @Test("a body template that is not JSON, or names an unknown placeholder, is refused with what to change")
    func badTemplates() {
        #expect(throws: NotifyConfigurationError.self) {
            try WebhookSettings(url: "https://x.example", body: #"{"to": {{to}}}"#).validate()
        }
        #expect(throws: NotifyConfigurationError.self) {
            try WebhookSettings(url: "https://x.example", body: #"{"to": "{{phone}}"}"#).validate()
        }
        #expect(throws: NotifyConfigurationError.self) {
            try WebhookSettings(url: "ftp://x.example", body: #"{"to": "{{to}}"}"#).validate()
        }
        #expect(throws: Never.self) { try webhook.validate() }
    }

    @Test("a configuration needs a channel; the preference keeps only configured channels")
    func channels() throws {
        #expect(throws: NotifyConfigurationError.self) { try NotifyConfiguration().validate() }
        let mailOnly = NotifyConfiguration(smtp: SMTPSettings(host: "127.0.0.1", port: 25, from: "a@b.example"))
        #expect(mailOnly.preference == [.email])
        let both = NotifyConfiguration(smtp: SMTPSettings(host: "127.0.0.1", port: 25, from: "a@b.example"), webhook: webhook)
        #expect(both.preference == [.sms, .email])
        #expect(throws: NotifyConfigurationError.self) {
            try NotifyConfiguration(smtp: SMTPSettings(host: "h", port: 25, from: "not an address")).validate()
        }
    }

    @Test("retries wait twice as long each time, up to the maximum")
    func backoff() {
        let policy = RetryPolicy(attempts: 5, initialSeconds: 1, maxSeconds: 5)
        #expect((1...5).map(policy.delay(after:)) == [1, 2, 4, 5, 5])
    }

    @Test("a configuration file is read, and a broken one says which member is wrong")
    func loading() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("notify-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.json")
        try Data(
            #"{"smtp": {"host": "127.0.0.1", "port": 2525, "from": "alo153@belediye.example"}, "retry": {"attempts": 2, "initialSeconds": 0.1, "maxSeconds": 1}}"#
                .utf8
        ).write(to: good)
        let loaded = try NotifyConfiguration.load(good)
        #expect(loaded.smtp?.port == 2525 && loaded.retry?.attempts == 2)
        let bad = folder.appendingPathComponent("bad.json")
        try Data(#"{"smtp": {"host": "127.0.0.1", "from": "a@b.example"}}"#.utf8).write(to: bad)
        #expect {
            try NotifyConfiguration.load(bad)
        } throws: { error in
            (error as? NotifyConfigurationError)?.message.contains("smtp.port is missing") == true
        }
    }
}
