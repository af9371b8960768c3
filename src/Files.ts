/**
 * The Files API (beta `files-api-2025-04-14`): upload a file once, then refer to it by `file_id` in document and
 * image blocks (`{ type: "file", file_id }`), list, inspect, download and delete files. In the API's own JSON names.
 *
 * The methods are part of `AnthropicClient` (`uploadFile`, `listFiles`, `files`, `retrieveFile`, `downloadFile`,
 * `deleteFile`), so credentials, the rate limiter, retries and error classification apply as for messages. Each
 * sends the Files beta; a Messages request that refers to a `file_id` needs it too: `{ betas: [Files.BETA] }`.
 *
 * @since 0.2.0
 */
import { accessEffect, accessStream } from "./internal/client/accessors.js"
export {
  BETA,
  DeletedFile,
  type FileListParams,
  FileMetadata,
  guessMimeType,
  make,
  type Service,
  type StartedDownload,
  type UploadSource
} from "./internal/resources/files.js"
export { type TransferOptions, type TransferProgress } from "./internal/resources/transferProgress.js"

/**
 * `POST /v1/files`: the SDK's `client.beta.files.upload`. `{ onProgress }` sees the bytes sent.
 *
 * @since 0.2.0
 * @category accessors
 */
export const upload = accessEffect((client) => client.uploadFile)

/**
 * `GET /v1/files`, every file as a `Stream` (pages fetched as read): the SDK's `client.beta.files.list`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = accessStream((client) => client.files)

/**
 * One page of `GET /v1/files`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listPage = accessEffect((client) => client.listFiles)

/**
 * `GET /v1/files/{id}`: the SDK's `client.beta.files.retrieveMetadata`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const retrieve = accessEffect((client) => client.retrieveFile)

/**
 * `GET /v1/files/{id}/content` as a `Stream` of bytes: the SDK's `client.beta.files.download`. `{ onProgress }` sees
 * the bytes received, of the answer's `content-length`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const download = accessStream((client) => client.downloadFile)

/**
 * {@link download}, started, with the answer's metadata (its bytes live as long as the scope).
 *
 * @since 0.2.0
 * @category accessors
 */
export const downloadWithResponse = accessEffect((client) => client.downloadFileWithResponse)

const del = accessEffect((client) => client.deleteFile)

export {
  /**
   * `DELETE /v1/files/{id}` (`delete` is a reserved word in a declaration, not in an import).
   *
   * @since 0.2.0
   * @category accessors
   */
  del as delete
}
