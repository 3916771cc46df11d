import DefterLog
import Foundation
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    /// `Origin`, which browsers send with every write.
    static let origin = HTTPField.Name("Origin")!
    /// `Sec-Fetch-Site`, which browsers send to say whether a request is same-origin.
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}

/// The console's sign-in: `POST /v1/session` exchanges a token for an `HttpOnly`,
/// `SameSite=Strict` session cookie; `GET` says who is signed in (200 with `signedIn: false`
/// and why when nobody is, so a page can ask without an error); `DELETE` signs out. Bearer
/// tokens keep working for API clients.
extension DefterAPI {
    /// The session cookie's name.
    static let sessionCookie = "defter_session"

    func registerSession(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        recorder.post(router, "/v1/session") { request, context in
            do {
                let fields = try await object(try await body(request, context))
                try Self.requireOnly(fields, ["token"])
                guard let token = fields["token"]?.stringValue, !token.isEmpty else {
                    throw APIError(
                        status: .badRequest, code: "bad_input", message: "\"token\" is required: the token from `defter tokens issue`")
                }
                // A sign-in form posted from another site must not plant a session either.
                try requireSameOrigin(request)
                guard let (session, credential) = try tokens.openSession(token: token.trimmingCharacters(in: .whitespacesAndNewlines))
                else {
                    throw APIError(status: .unauthorized, code: "unauthenticated", message: "the token is not valid (unknown or revoked)")
                }
                var response = respondJSON(sessionJSON(credential))
                response.headers.append(HTTPField(name: .setCookie, value: cookie(value: session, request: request)))
                return response
            } catch {
                return errorResponse(error)
            }
        }
        recorder.get(router, "/v1/session") { request, _ in
            await respond {
                do {
                    return sessionJSON(try credential(request))
                } catch let error as APIError where error.status == .unauthorized {
                    return ["signedIn": false, "message": .string(error.message)]
                }
            }
        }
        recorder.delete(router, "/v1/session") { request, _ in
            do {
                if let session = Self.cookie(Self.sessionCookie, in: request) {
                    try requireSameOrigin(request)
                    try tokens.closeSession(session)
                }
                var response = respondJSON(["signedOut": true])
                response.headers.append(HTTPField(name: .setCookie, value: cookie(value: "", request: request, expire: true)))
                return response
            } catch {
                return errorResponse(error)
            }
        }
    }

    private func sessionJSON(_ credential: Credential) -> JSONValue {
        [
            "signedIn": true, "role": .string(credential.role.description), "name": .string(credential.name),
            "idleTimeoutSeconds": .integer(Int64(tokens.idleTimeout)),
        ]
    }

    /// The `Set-Cookie` value: a browser-session cookie (the server ends it after the idle
    /// timeout), `Secure` when the service is published over https.
    private func cookie(value: String, request: Request, expire: Bool = false) -> String {
        var parts = ["\(Self.sessionCookie)=\(value)", "Path=/", "HttpOnly", "SameSite=Strict"]
        if expire { parts.append("Max-Age=0") }
        if publicOrigin?.hasPrefix("https://") == true { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    /// `scheme://host[:port]` of a URL, lowercased, as browsers send it in `Origin`.
    static func origin(of url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    /// The value of the cookie `name`, when the request carries it.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix(name + "=") else { continue }
                let value = String(trimmed.dropFirst(name.count + 1))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// Refuses a request that a browser says came from another site: its `Origin` must be this
    /// service's own (`--public-url`, or the `Host` it was sent to over http), else its
    /// `Sec-Fetch-Site` must be `same-origin`. Without either header it is refused too: every
    /// browser sends one with a write, and other clients use bearer tokens.
    func requireSameOrigin(_ request: Request) throws {
        if let origin = request.headers[.origin] {
            var own: Set<String> = []
            if let publicOrigin { own.insert(publicOrigin) }
            if let host = request.head.authority { own.insert("http://\(host.lowercased())") }
            guard own.contains(origin.lowercased()) else {
                throw APIError(
                    status: .forbidden, code: "cross_site",
                    message:
                        "a write with a console session must come from the console's own pages, not from \(origin); nothing was written")
            }
            return
        }
        guard request.headers[.secFetchSite] == "same-origin" else {
            throw APIError(
                status: .forbidden, code: "cross_site",
                message:
                    "a write with a console session must come from the console's own pages (no Origin or Sec-Fetch-Site header was sent); API clients send Authorization: Bearer <token>; nothing was written"
            )
        }
    }
}
