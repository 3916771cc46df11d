public import Hummingbird
public import NIOCore

/// The context of every request the service handles: Hummingbird's basic context plus the peer's
/// address, which the public endpoints' rate limits are kept per.
public struct DefterRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's storage: logger, parameters, endpoint path.
    public var coreContext: CoreRequestContextStorage
    /// The address of the client's end of the connection (nil in router tests, which have none).
    public let remoteAddress: SocketAddress?

    /// Creates the context of a request arriving on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
