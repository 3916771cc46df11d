import Hummingbird

/// A GeoReport v2 error: an HTTP status (400 bad parameter, 403 bad or missing `api_key`, 404
/// unknown service, request or token) and one or more `{code, description}` entries, the code
/// being the status.
struct Open311Error: Error {
    let status: HTTPResponse.Status
    let descriptions: [String]

    static func badRequest(_ description: String) -> Open311Error { Open311Error(status: .badRequest, descriptions: [description]) }
    static func forbidden(_ description: String) -> Open311Error { Open311Error(status: .forbidden, descriptions: [description]) }
    static func notFound(_ description: String) -> Open311Error { Open311Error(status: .notFound, descriptions: [description]) }

    /// The errors as the standard shows them: `[{code, description}]` or `<errors><error>...`.
    var document: Open311Document {
        Open311Document(
            root: "errors",
            node: .list(
                item: "error",
                descriptions.map { description in
                    .record([("code", .text(String(status.code))), ("description", .text(description))])
                }))
    }
}
