import Foundation
import Hummingbird

/// A failed API request, answered as JSON `{"error": "…", "hint": "…"}`
/// with its status code: what went wrong, and what to do about it.
struct APIError: Error, Sendable {
  let status: HTTPResponse.Status
  let message: String
  let hint: String

  init(status: HTTPResponse.Status, message: String, hint: String) {
    self.status = status
    self.message = message
    self.hint = hint
  }

  /// The JSON response for this error.
  var response: Response {
    struct Body: Encodable {
      let error: String
      let hint: String
    }
    return JSONResponse.make(Body(error: message, hint: hint), status: status)
  }
}

/// Turns every error a route throws, and every unmatched route, into a JSON
/// error response; an unexpected error is a 500 whose message names it. The
/// job never sees a request fail.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(
    _ request: Request, context: Context,
    next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    do {
      return try await next(request, context)
    } catch let error as APIError {
      return error.response
    } catch let error as HTTPError {
      if error.status == .notFound {
        return APIError(
          status: .notFound, message: "no such endpoint: \(request.method) \(request.uri.path)",
          hint: "the endpoints are listed at GET /api/v1/openapi.json and in docs/operations.md"
        ).response
      }
      return APIError(
        status: error.status, message: error.body ?? error.status.reasonPhrase,
        hint: "see docs/operations.md for the REST API"
      ).response
    } catch {
      return APIError(
        status: .internalServerError, message: "\(error)",
        hint: "this is a bug in the monitoring server; the job is not affected"
      ).response
    }
  }
}

/// JSON responses with the engine's encoder settings.
enum JSONResponse {
  /// `value` as a JSON response (sorted keys, so answers compare byte for byte).
  static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data(#"{"error":"encoding failed"}"#.utf8)
    return Response(
      status: status,
      headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
      body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
}
