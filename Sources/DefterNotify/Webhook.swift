public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An SMS gateway driven by an HTTP webhook: a POST of a JSON body made from a template, with
/// the headers the provider wants (its key in `Authorization`, say). No provider is built in.
public struct WebhookSettings: Sendable, Equatable, Codable {
    /// The gateway's address (http or https).
    public var url: String
    /// Headers sent with every request, e.g. `{"Authorization": "Bearer ..."}`.
    public var headers: [String: String]?
    /// The JSON body with placeholders `{{to}}` (the phone number), `{{text}}`, `{{ticket}}`,
    /// `{{link}}`, `{{template}}` and `{{id}}` (the command id); each is replaced by the value
    /// escaped for a JSON string, so they go inside quotes: `{"to": "{{to}}", "message": "{{text}}"}`.
    public var body: String
    /// How long one request may take (default 10 s).
    public var timeoutSeconds: Double?

    /// Describes a gateway.
    public init(url: String, headers: [String: String]? = nil, body: String, timeoutSeconds: Double? = nil) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }

    /// The names a body template may use.
    public static let placeholders = ["to", "text", "ticket", "link", "template", "id"]

    /// The body for these values: each `{{name}}` replaced by its value, JSON-escaped.
    public func renderBody(_ values: [String: String]) -> String {
        var out = body
        for name in Self.placeholders {
            out = out.replacingOccurrences(of: "{{\(name)}}", with: Self.jsonEscaped(values[name] ?? ""))
        }
        return out
    }

    /// Checks the settings before the first send: an http(s) URL, a template that is JSON once
    /// filled in, and no placeholder it does not know.
    public func validate() throws(NotifyConfigurationError) {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw NotifyConfigurationError("webhook.url must be an http or https address, not '\(url)'")
        }
        var rest = body
        for name in Self.placeholders { rest = rest.replacingOccurrences(of: "{{\(name)}}", with: "") }
        if let range = rest.range(of: "{{") {
            let unknown = rest[range.lowerBound...].prefix(while: { $0 != "}" })
            throw NotifyConfigurationError(
                "webhook.body uses \(unknown)}}, which is not a placeholder; known: \(Self.placeholders.map { "{{\($0)}}" }.joined(separator: ", "))"
            )
        }
        let sample = renderBody(Dictionary(uniqueKeysWithValues: Self.placeholders.map { ($0, "ö\"\\\n") }))
        guard (try? JSONSerialization.jsonObject(with: Data(sample.utf8))) != nil else {
            throw NotifyConfigurationError(
                "webhook.body is not JSON once its placeholders are filled in; put each placeholder inside quotes, as in {\"to\": \"{{to}}\"}"
            )
        }
    }

    /// `value` escaped for the inside of a JSON string.
    static func jsonEscaped(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Sends webhook requests with URLSession: the body from the template, the configured headers,
/// and `Idempotency-Key: <command id>` so that a gateway that keeps keys drops a redelivery.
public struct WebhookSender: Sendable {
    let settings: WebhookSettings

    /// A sender for `settings` (validated already).
    public init(settings: WebhookSettings) {
        self.settings = settings
    }

    /// Posts the body for `values`; returns when the gateway answered 2xx. A 4xx other than
    /// 408 and 429 is permanent; anything else may pass on a retry.
    public func send(_ values: [String: String], idempotencyKey: String) async throws(DeliveryError) {
        guard let url = URL(string: settings.url) else { throw DeliveryError(permanent: true, reason: "webhook: the URL is not valid") }
        var request = URLRequest(url: url, timeoutInterval: settings.timeoutSeconds ?? 10)
        request.httpMethod = "POST"
        for (name, value) in settings.headers ?? [:] { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        request.httpBody = Data(settings.renderBody(values).utf8)
        let status: Int
        do {
            status = try await Self.post(request)
        } catch {
            throw DeliveryError(permanent: false, reason: "webhook: \(url.host ?? "?"): \((error as NSError).localizedDescription)")
        }
        guard (200...299).contains(status) else {
            throw DeliveryError(permanent: (400...499).contains(status) && status != 408 && status != 429, reason: "webhook \(status)")
        }
    }

    private static func post(_ request: URLRequest) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let task = URLSession.shared.dataTask(with: request) { _, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode ?? 0)
                }
            }
            task.resume()
        }
    }
}
