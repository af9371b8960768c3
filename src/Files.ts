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
