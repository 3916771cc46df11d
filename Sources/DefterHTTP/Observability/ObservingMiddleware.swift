import DefterLog
import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    /// `x-request-id`.
    static let requestID = HTTPField.Name("x-request-id")!
}

/// Gives every request an id (`x-request-id` on the response), logs one line per request (method,
/// route template, status, duration, id: never the path's values, query or body, which may hold
/// personal data) and counts it in the metrics. Errors that escaped the routes (no such route)
/// become JSON `{error, message}` like every other error.
struct ObservingMiddleware: RouterMiddleware {
    typealias Context = DefterRequestContext
    let metrics: DefterMetrics
    let logger: Logger

    func handle(
        _ request: Request, context: DefterRequestContext, next: (Request, DefterRequestContext) async throws -> Response
    ) async throws -> Response {
        let id = request.headers[.requestID].flatMap { RequestID.isValid($0) ? $0 : nil } ?? RequestID.make()
        var context = context
        context.logger[metadataKey: "request_id"] = "\(id)"
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await RequestID.$current.withValue(id) { try await next(request, context) }
        } catch let error as any HTTPResponseError {
            let message =
                error.status == .notFound ? "there is no route \(request.method) \(request.uri.path.prefix(200))" : "\(error.status)"
            response = respondJSON(["error": .string(Self.code(error.status)), "message": .string(message)], status: error.status)
        } catch {
            logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))", "request_id": "\(id)"])
            response = respondJSON(
                ["error": "internal", "message": "the server failed; the error is logged"], status: .internalServerError)
        }
        response.headers[.requestID] = id
        let duration = ContinuousClock.now - started
        // Hummingbird names a request no route matched `NotFound`.
        let route = context.endpointPath ?? "NotFound"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        logger.info(
            "request",
            metadata: [
                "request_id": "\(id)", "method": "\(request.method)", "route": "\(route)", "status": "\(response.status.code)",
                "ms": "\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)",
            ])
        return response
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "too_large"
        default: status.code < 500 ? "bad_request" : "internal"
        }
    }
}
