public import DefterDomain
public import Foundation

/// The notifier's configuration file was not usable; the message says what to change.
public struct NotifyConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the member.
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// How the notifier retries a failed send: `attempts` in all, waiting `initialSeconds`, then
/// twice as long each time, at most `maxSeconds`.
public struct RetryPolicy: Sendable, Equatable, Codable {
    public var attempts: Int
    public var initialSeconds: Double
    public var maxSeconds: Double

    /// Five attempts over about 15 minutes.
    public static let standard = RetryPolicy(attempts: 5, initialSeconds: 60, maxSeconds: 600)

    /// Describes a policy.
    public init(attempts: Int, initialSeconds: Double, maxSeconds: Double) {
        self.attempts = attempts
        self.initialSeconds = initialSeconds
        self.maxSeconds = maxSeconds
    }

    /// The wait after the `attempt`-th failure (1-based).
    public func delay(after attempt: Int) -> Double {
        min(maxSeconds, initialSeconds * pow(2, Double(max(0, attempt - 1))))
    }
}

/// The notifier's configuration, read from a JSON file (`defter serve --notify-config FILE`):
/// the channels, the public address for links, retries and how often to look at the log.
public struct NotifyConfiguration: Sendable, Equatable, Codable {
    /// The SMTP relay for e-mail; nil: no e-mail.
    public var smtp: SMTPSettings?
    /// The SMS gateway's webhook; nil: no SMS.
    public var webhook: WebhookSettings?
    /// Which channel to use when the citizen left both (default: sms, then email).
    public var prefer: [NotificationChannel]?
    /// The address links point at; default `defter serve --public-url`.
    public var publicURL: String?
    /// Retries (default `RetryPolicy.standard`).
    public var retry: RetryPolicy?
    /// How often to look for new events (default 2 s).
    public var pollSeconds: Double?

    /// Describes a configuration.
    public init(
        smtp: SMTPSettings? = nil, webhook: WebhookSettings? = nil, prefer: [NotificationChannel]? = nil, publicURL: String? = nil,
        retry: RetryPolicy? = nil, pollSeconds: Double? = nil
    ) {
        self.smtp = smtp
        self.webhook = webhook
        self.prefer = prefer
        self.publicURL = publicURL
        self.retry = retry
        self.pollSeconds = pollSeconds
    }

    /// Reads and checks the file at `url`.
    public static func load(_ url: URL) throws(NotifyConfigurationError) -> NotifyConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NotifyConfigurationError("cannot read the notification configuration \(url.path): \(error.localizedDescription)")
        }
        let configuration: NotifyConfiguration
        do { configuration = try JSONDecoder().decode(NotifyConfiguration.self, from: data) } catch let DecodingError.keyNotFound(
            key, context)
        {
            throw NotifyConfigurationError(
                "\(url.path): \((context.codingPath + [key]).map(\.stringValue).joined(separator: ".")) is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw NotifyConfigurationError(
                "\(url.path): \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw NotifyConfigurationError(
                "\(url.path): \(context.codingPath.map(\.stringValue).joined(separator: ".")) \(context.debugDescription)")
        } catch {
            throw NotifyConfigurationError("\(url.path) is not a notification configuration: \(error)")
        }
        try configuration.validate()
        return configuration
    }

    /// Checks that at least one channel is set up and every value is usable.
    public func validate() throws(NotifyConfigurationError) {
        guard smtp != nil || webhook != nil else {
            throw NotifyConfigurationError("configure at least one channel: \"smtp\" (e-mail) or \"webhook\" (SMS)")
        }
        if let smtp {
            guard (1...65535).contains(smtp.port) else { throw NotifyConfigurationError("smtp.port must be 1 to 65535") }
            guard smtp.from.contains("@"), !smtp.from.contains(where: { $0 == "<" || $0 == ">" || $0.isWhitespace }) else {
                throw NotifyConfigurationError("smtp.from must be an address such as alo153@belediye.example")
            }
        }
        try webhook?.validate()
        if let retry {
            guard (1...20).contains(retry.attempts), retry.initialSeconds > 0, retry.maxSeconds >= retry.initialSeconds else {
                throw NotifyConfigurationError("retry: attempts must be 1 to 20, and 0 < initialSeconds <= maxSeconds")
            }
        }
        if let pollSeconds, !(0.05...3600).contains(pollSeconds) {
            throw NotifyConfigurationError("pollSeconds must be 0.05 to 3600")
        }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw NotifyConfigurationError("publicURL must be an http or https address such as https://alo153.example.gov.tr")
            }
        }
    }

    /// The channels in the order tried, only those configured.
    public var preference: [NotificationChannel] {
        let order = prefer ?? [.sms, .email]
        return order.filter { $0 == .sms ? webhook != nil : smtp != nil }
    }
}
