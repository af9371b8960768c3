/**
 * The `HttpBody` constructors for the resources that make a body of their own (an upload, a batch): taken when the
 * first one is sent, by which time the client has loaded Effect's HTTP modules, rather than with the library's import.
 */
import { lazyImport } from "../lazyImport.js"

export const loadHttpBody = lazyImport(() => import("./bodies.js"))
