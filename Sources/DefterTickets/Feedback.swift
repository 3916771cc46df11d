import Crypto
public import DefterDomain
public import DefterLog
import Foundation

/// The tokens in feedback links: an HMAC-SHA256 of the ticket and the log sequence of its
/// resolution, under a key kept in the key vault (never in the log). Only someone who received
/// the resolution's message can answer for it, and a new resolution needs a new token.
public struct FeedbackTokens: Sendable {
    let vault: KeyVault
    static let keyID = "feedback-token-key"

    /// Tokens under the key in `vault` (created there on first use).
    public init(vault: KeyVault) {
        self.vault = vault
    }

    /// The token for the resolution at log sequence `resolution` of `ticket`: 22 characters of
    /// base64url (128 bits of the HMAC).
    public func token(ticket: TicketID, resolution: UInt64) throws -> String {
        Self.token(ticket: ticket, resolution: resolution, key: try key())
    }

    /// Whether `token` is the one for that resolution (compared in constant time).
    public func check(_ token: String, ticket: TicketID, resolution: UInt64) throws -> Bool {
        Self.constantTimeEqual(Array(token.utf8), Array(Self.token(ticket: ticket, resolution: resolution, key: try key()).utf8))
    }

    private func key() throws -> [UInt8] {
        try vault.key(Self.keyID) { PersonalDataSealer.randomBytes(32) }
    }

    /// The token under an explicit key (what `token(ticket:resolution:)` computes).
    static func token(ticket: TicketID, resolution: UInt64, key: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("feedback|\(ticket)|\(resolution)".utf8), using: SymmetricKey(data: key))
        return Data(Data(mac).prefix(16)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Why a citizen's feedback was not recorded; each case says what to do.
public enum FeedbackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// There is no such ticket.
    case unknownTicket(TicketID)
    /// The link's token is not the one sent for the ticket's latest resolution.
    case badToken(TicketID)
    /// The ticket is not resolved now (reopened, or never resolved).
    case notResolved(TicketID, Ticket.Status)
    /// Feedback for this resolution was already recorded.
    case alreadyAnswered(TicketID)

    public var description: String {
        switch self {
        case .unknownTicket(let id): "ticket \(id) does not exist"
        case .badToken(let id): "this feedback link is not valid for ticket \(id): use the link of the latest message"
        case .notResolved(let id, let status): "ticket \(id) is \(status.rawValue), not resolved: there is nothing to rate now"
        case .alreadyAnswered(let id): "feedback for the latest resolution of ticket \(id) was already recorded"
        }
    }
}

/// What a recorded feedback did.
public struct FeedbackResult: Sendable, Equatable {
    /// The ticket.
    public let ticket: TicketID
    /// Whether "not fixed" reopened it.
    public let reopened: Bool
}

extension TicketService {
    /// The feedback tokens, under the key in this service's vault.
    public nonisolated var feedbackTokens: FeedbackTokens { FeedbackTokens(vault: sealer.vault) }

    /// The log sequence of the ticket's latest `TicketResolved`, or nil when it was never resolved.
    public func latestResolution(of id: TicketID) throws -> UInt64? {
        let stream = try StreamID(id.streamName)
        var from: UInt64 = 1
        var latest: UInt64?
        while true {
            let entries = try log.entries(inStream: stream, fromVersion: from, limit: 500)
            guard let last = entries.last else { break }
            for entry in entries where entry.type == "TicketResolved" { latest = entry.sequence }
            from = last.streamVersion + 1
        }
        return latest
    }

    /// Checks a feedback link's token against the ticket's latest resolution; returns that
    /// resolution's sequence and the ticket.
    public func checkFeedbackLink(_ id: TicketID, token: String) throws -> (resolution: UInt64, ticket: Ticket) {
        guard let state = try ticket(id) else { throw FeedbackError.unknownTicket(id) }
        guard let resolution = try latestResolution(of: id), try feedbackTokens.check(token, ticket: id, resolution: resolution) else {
            throw FeedbackError.badToken(id)
        }
        guard [.resolved, .closed].contains(state.status) else { throw FeedbackError.notResolved(id, state.status) }
        if state.feedbackSinceResolution { throw FeedbackError.alreadyAnswered(id) }
        return (resolution, state)
    }

    /// Records the citizen's answer to a resolution's feedback link: a rating of 1 to 5 and,
    /// when given, whether it was really fixed. "Not fixed" within the reopening window reopens
    /// the ticket in the same append. Once per resolution (command id `feedback:<ticket>:<seq>`).
    public func recordFeedback(_ id: TicketID, token: String, satisfaction: Int, fixed: Bool?) async throws -> FeedbackResult {
        let (resolution, _) = try checkFeedbackLink(id, token: token)
        let after = try await handle(
            .recordFeedback(satisfaction: satisfaction, at: clock(), fixed: fixed), on: id, commandId: "feedback:\(id):\(resolution)",
            actor: .citizen)
        return FeedbackResult(ticket: id, reopened: after.status == .routed)
    }
}
