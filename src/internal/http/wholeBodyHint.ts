/**
 * Requests whose answer their sender will read whole (a JSON call, not a stream or a download). An `HttpClient` that
 * knows it may read a small body before handing the answer over; one that does not behaves as before.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"

const readWhole = new WeakSet<HttpClientRequest.HttpClientRequest>()

/** Marks `request` as one whose answer will be read whole. */
export const expectWholeBody = (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  readWhole.add(request)
  return request
}

/** Whether `request`'s answer will be read whole. */
export const isWholeBodyExpected = (request: HttpClientRequest.HttpClientRequest): boolean => readWhole.has(request)
