import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Token buckets, one per client: each holds up to `burst` tokens and refills at `perSecond`; a
/// request takes one, and a client whose bucket is empty is told how long to wait.
public final class RateLimiter: Sendable {
    /// How many requests a client may make at once after a quiet spell.
    public let burst: Double
    /// How many requests a second a client may keep making.
    public let perSecond: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Beyond this many clients, buckets that have refilled are forgotten (they hold no debt).
    private let maximumClients: Int

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// A limiter allowing `perSecond` requests a second per client, in bursts of up to `burst`.
    public init(perSecond: Double, burst: Double, maximumClients: Int = 100_000) {
        precondition(perSecond > 0 && burst >= 1, "a rate limit needs a positive rate and a burst of at least one")
        self.perSecond = perSecond
        self.burst = burst
        self.maximumClients = maximumClients
    }

    /// Takes a token from `client`'s bucket: nil when it had one, else how long until it will.
    public func take(_ client: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = tokens(in: bucket, at: now)
            bucket.updated = now
            if let wait = wait(for: bucket.tokens) {
                buckets[client] = bucket
                return wait
            }
            bucket.tokens -= 1
            if buckets[client] == nil && buckets.count >= maximumClients { forgetRefilled(&buckets, now: now) }
            buckets[client] = bucket
            return nil
        }
    }

    /// Whether `client` has a token left, without taking one.
    public func allows(_ client: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            guard let bucket = buckets[client] else { return nil }
            return wait(for: tokens(in: bucket, at: now))
        }
    }

    /// The tokens `bucket` holds at `now`: what it had plus the refill since, up to the burst.
    private func tokens(in bucket: Bucket, at now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(burst, bucket.tokens + max(0, seconds) * perSecond)
    }

    /// How long until a bucket holding `tokens` has one: nil when it has one now.
    private func wait(for tokens: Double) -> Duration? {
        tokens >= 1 ? nil : .milliseconds(Int64(((1 - tokens) / perSecond * 1000).rounded(.up)))
    }

    private func forgetRefilled(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let full = burst / perSecond
        buckets = buckets.filter { _, bucket in
            let elapsed = now - bucket.updated
            return Double(elapsed.components.seconds) < full
        }
        // Every client is in debt: forget the oldest half rather than grow without bound.
        if buckets.count >= maximumClients {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maximumClients / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}

extension RateLimiter {
    /// The client a request is counted against: the peer's IP address (not its port).
    static func client(of context: DefterRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The answer to a client that must wait: 429 with `Retry-After` in whole seconds.
    static func tooManyRequests(retryAfter wait: Duration) -> Response {
        let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
        var response = respondJSON(
            [
                "error": "rate_limited",
                "message": .string(
                    "Çok fazla istek geldi; lütfen \(seconds) saniye sonra yeniden deneyin. / Too many requests; try again in \(seconds) s."
                ),
            ], status: .tooManyRequests)
        response.headers[.retryAfter] = String(seconds)
        return response
    }
}

/// Limits every public endpoint (the dashboard, the tracking page, `/v1/public/...`, the feedback
/// page) per client IP; staff endpoints, which need a token, are not limited here.
struct PublicRateLimitMiddleware: RouterMiddleware {
    typealias Context = DefterRequestContext
    let limiter: RateLimiter?

    static func isPublic(_ path: String) -> Bool {
        path == "/" || path == "/takip" || path.hasPrefix("/public/") || path.hasPrefix("/v1/public/")
            || path.hasPrefix("/geri-bildirim")
    }

    func handle(
        _ request: Request, context: DefterRequestContext, next: (Request, DefterRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let limiter, Self.isPublic(request.uri.path) else { return try await next(request, context) }
        if let wait = limiter.take(RateLimiter.client(of: context)) { return RateLimiter.tooManyRequests(retryAfter: wait) }
        return try await next(request, context)
    }
}
