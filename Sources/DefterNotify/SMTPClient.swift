import Foundation
import NIOCore
import NIOPosix

/// Where and as whom the SMTP client sends.
public struct SMTPSettings: Sendable, Equatable, Codable {
    /// The relay's host name or address.
    public var host: String
    /// Its port (25, or 587 for submission).
    public var port: Int
    /// The sender's address (envelope and `From:`).
    public var from: String
    /// The sender's display name, e.g. `ALO 153`.
    public var fromName: String?
    /// The name this client gives in `EHLO` (default `localhost`).
    public var helo: String?
    /// How long one message may take, connection included (default 10 s).
    public var timeoutSeconds: Double?

    /// Describes a relay.
    public init(host: String, port: Int, from: String, fromName: String? = nil, helo: String? = nil, timeoutSeconds: Double? = nil) {
        self.host = host
        self.port = port
        self.from = from
        self.fromName = fromName
        self.helo = helo
        self.timeoutSeconds = timeoutSeconds
    }
}

/// A sending failure: where it happened, the server's code if it answered, and whether trying
/// again could help. Never holds the server's text (it may echo the recipient's address).
public struct DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Whether retrying cannot help (a 5xx answer, a refused request).
    public let permanent: Bool
    /// What failed, without personal data, e.g. `smtp 550 after RCPT TO`.
    public let reason: String

    /// Describes a failure.
    public init(permanent: Bool, reason: String) {
        self.permanent = permanent
        self.reason = reason
    }

    public var description: String { reason }
}

/// A small SMTP client over SwiftNIO (RFC 5321): `EHLO` (or `HELO`), `MAIL FROM`, `RCPT TO`,
/// `DATA` with dot-stuffing, `QUIT`, one connection per message. No STARTTLS and no AUTH: it
/// speaks to a relay that accepts this host (a city's internal relay, or a local MTA).
public struct SMTPClient: Sendable {
    let settings: SMTPSettings
    let group: any EventLoopGroup

    /// A client for `settings` on NIO's shared event loops.
    public init(settings: SMTPSettings) {
        self.settings = settings
        self.group = MultiThreadedEventLoopGroup.singleton
    }

    /// Sends `message`; returns when the server accepted it (`250` after the data).
    public func send(_ message: MailMessage) async throws(DeliveryError) {
        let timeout = settings.timeoutSeconds ?? 10
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.converse(message) }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                    throw DeliveryError(permanent: false, reason: "smtp: no answer within \(timeout) s")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let error as DeliveryError {
            throw error
        } catch is NIOConnectionError {
            throw DeliveryError(permanent: false, reason: "smtp: cannot connect to \(settings.host):\(settings.port)")
        } catch let error as ChannelError {
            throw DeliveryError(permanent: false, reason: "smtp: \(settings.host):\(settings.port): \(error)")
        } catch let error as IOError {
            throw DeliveryError(permanent: false, reason: "smtp: \(settings.host):\(settings.port): \(error.description)")
        } catch {
            throw DeliveryError(permanent: false, reason: "smtp: \(settings.host):\(settings.port): \(type(of: error))")
        }
    }

    private func converse(_ message: MailMessage) async throws {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64((settings.timeoutSeconds ?? 10) * 1000)))
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            func reply(after stage: String) async throws -> Int {
                while true {
                    guard let line = try await lines.next() else {
                        throw DeliveryError(permanent: false, reason: "smtp: the server closed the connection after \(stage)")
                    }
                    let bytes = Array(line.utf8)
                    guard bytes.count >= 3, let code = Int(String(decoding: bytes.prefix(3), as: UTF8.self)) else {
                        throw DeliveryError(permanent: false, reason: "smtp: an answer that is not SMTP after \(stage)")
                    }
                    // "250-..." continues a multi-line reply; "250 ..." (or "250") ends it.
                    if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") { return code }
                }
            }
            func send(_ text: String) async throws {
                try await outbound.write(ByteBuffer(string: text + "\r\n"))
            }
            func expect(_ stage: String, _ accepted: Set<Int>) async throws {
                let code = try await reply(after: stage)
                guard accepted.contains(code) else {
                    throw DeliveryError(permanent: (500...599).contains(code), reason: "smtp \(code) after \(stage)")
                }
            }
            try await expect("connecting", [220])
            try await send("EHLO \(settings.helo ?? "localhost")")
            let ehlo = try await reply(after: "EHLO")
            if ehlo != 250 {
                try await send("HELO \(settings.helo ?? "localhost")")
                try await expect("HELO", [250])
            }
            try await send("MAIL FROM:<\(settings.from)>")
            try await expect("MAIL FROM", [250])
            try await send("RCPT TO:<\(message.to)>")
            try await expect("RCPT TO", [250, 251])
            try await send("DATA")
            try await expect("DATA", [354])
            try await outbound.write(ByteBuffer(string: MailMessage.dotStuffed(message.rendered()) + "\r\n.\r\n"))
            try await expect("the message", [250])
            // The message is accepted; a failing QUIT changes nothing.
            try? await send("QUIT")
            _ = try? await reply(after: "QUIT")
        }
    }
}

/// Splits the server's bytes into lines (CRLF or LF), refusing lines over 4 KiB.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw DeliveryError(permanent: false, reason: "smtp: an answer line over 4 KiB") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
