import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// GET and POST requests over HTTP/1.1 on SwiftNIO, on a few kept-alive connections to one server:
/// how a mirror reads the tiles of a plain `http://` address, and how a log pushes to a mirror at
/// one. URLSession on Linux spends about 1.7 ms of CPU on each request through libcurl's callbacks
/// and dispatch, more than writing the entries costs, and more CPU than the mirror's own work to
/// upload a body (`docs/benchmarks.md`); this spends a small fraction of it.
///
/// One request at a time per connection, no pipelining. A kept-alive connection the server
/// closed in between is retried once on a new one; anything else fails the request, in words.
final class KeepAliveHTTPClient: Sendable {
    /// The server's host, as the `Host` header and the connection name it.
    let host: String
    let port: Int
    private let connections: Connections
    private let group: any EventLoopGroup

    /// A response: its status and body.
    struct Response: Sendable {
        let status: Int
        let body: [UInt8]
        let keepAlive: Bool
    }

    /// Why a request failed, in words: every error `get` throws is one.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(host: String, port: Int, maximumIdle: Int = 16, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.group = group
        self.connections = Connections(maximumIdle: maximumIdle)
    }

    deinit {
        let connections = self.connections
        Task { await connections.closeAll() }
    }

    /// GETs `path` (starting with `/`), waiting at most `timeout` for the whole response.
    func get(_ path: String, timeout: TimeAmount = .seconds(30)) async throws -> Response {
        try await send(.GET, path, timeout: timeout)
    }

    /// POSTs `body` of `contentType` to `path` (starting with `/`), waiting at most `timeout` for
    /// the whole response.
    func post(_ path: String, body: [UInt8], contentType: String, timeout: TimeAmount = .seconds(120)) async throws -> Response {
        try await send(.POST, path, body: body, contentType: contentType, timeout: timeout)
    }

    private func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, timeout: TimeAmount
    ) async throws -> Response {
        var attempt = 0
        while true {
            attempt += 1
            let idle = await connections.take()
            let channel: any Channel
            if let idle { channel = idle } else { channel = try await connect() }
            do {
                let response = try await exchange(method, path, body: body, contentType: contentType, on: channel, timeout: timeout)
                if response.keepAlive { await connections.give(channel) } else { channel.close(promise: nil) }
                return response
            } catch let error where idle != nil && attempt == 1 && !(error is Failure) {
                // The server closed a kept-alive connection in between: once more, on a new one.
                channel.close(promise: nil)
            } catch {
                channel.close(promise: nil)
                throw error as? Failure ?? Failure(description: "\(error)")
            }
        }
    }

    private func connect() async throws -> any Channel {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch {
            // NIO names every address it tried; the system's reason for the first one says it.
            let reason =
                ((error as? NIOConnectionError)?.connectionErrors.first?.error as? IOError)
                .map { String(cString: strerror($0.errnoCode)).lowercased() } ?? "\(error)"
            throw Failure(description: "cannot connect to \(host):\(port) (\(reason)); check the address and that the server runs")
        }
    }

    private func exchange(
        _ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String?, on channel: any Channel, timeout: TimeAmount
    ) async throws -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
        headers.add(name: "User-Agent", value: "defter-mirror")
        if let body {
            headers.add(name: "Content-Length", value: String(body.count))
            if let contentType { headers.add(name: "Content-Type", value: contentType) }
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        let bytes = body.map { ByteBuffer(bytes: $0) }
        channel.writeAndFlush(Exchange(head: head, body: bytes, promise: promise)).whenFailure { promise.fail($0) }
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }

    /// A request and the promise its response fulfils, written to the channel.
    fileprivate struct Exchange: Sendable {
        let head: HTTPRequestHead
        let body: ByteBuffer?
        let promise: EventLoopPromise<Response>
    }

    /// The connection closed before its response ended.
    fileprivate struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection before the response ended" }
    }

    /// Writes one request and gathers its response; fails the request when the connection fails.
    private final class ExchangeHandler: ChannelDuplexHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundIn = Exchange
        typealias OutboundOut = HTTPClientRequestPart

        private var promise: EventLoopPromise<Response>?
        private var status = 0
        private var keepAlive = true
        /// The body so far, copied once from each chunk (a tile is read as an array).
        private var body: [UInt8] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
            let exchange = unwrapOutboundIn(data)
            promise = exchange.promise
            context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
            if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: writePromise)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = Int(head.status.code)
                keepAlive = head.isKeepAlive
                let length = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
                body = []
                body.reserveCapacity(min(length, 16 << 20))
            case .body(let chunk):
                body.append(contentsOf: chunk.readableBytesView)
            case .end:
                let (done, bytes) = (promise, body)
                (promise, body) = (nil, [])
                done?.succeed(Response(status: status, body: bytes, keepAlive: keepAlive))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            fail(ConnectionClosed())
            context.fireChannelInactive()
        }

        private func fail(_ error: any Error) {
            let pending = promise
            promise = nil
            pending?.fail(error)
        }
    }

    /// The idle connections, at most `maximumIdle` of them.
    private actor Connections {
        private var idle: [any Channel] = []
        private let maximumIdle: Int

        init(maximumIdle: Int) { self.maximumIdle = maximumIdle }

        func take() -> (any Channel)? {
            while let channel = idle.popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }

        func give(_ channel: any Channel) {
            if idle.count < maximumIdle { idle.append(channel) } else { channel.close(promise: nil) }
        }

        func closeAll() {
            for channel in idle { channel.close(promise: nil) }
            idle = []
        }
    }
}
