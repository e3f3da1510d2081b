/**
 * The typed failure of a link to a server, shared by every fxredis package.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Endpoint } from "./Endpoint.ts"
import { format } from "./Endpoint.ts"

/**
 * Why a link failed or is not there.
 *
 * - `Refused`: nothing listens at the address (`ECONNREFUSED`).
 * - `NotFound`: the UNIX socket path does not exist, or the host name does not resolve.
 * - `PermissionDenied`: the socket file is not ours to open (`EACCES`, `EPERM`).
 * - `Timeout`: the connect did not complete within `connectTimeout`.
 * - `Closed`: the peer closed the link, it was reset, or the client closed it.
 * - `Tls`: the TLS handshake failed (an untrusted or mismatched certificate, say).
 * - `Handshake`: the Redis handshake failed (`AUTH`, `HELLO`, `SELECT`); the `ReplyError` is the cause.
 * - `Offline`: not connected and the client's offline queue is off.
 * - `QueueFull`: not connected and the offline queue is full.
 * - `Unknown`: anything else (see `cause`).
 *
 * @example
 * ```ts
 * import type { ConnectionError, ConnectionErrorReason } from "@fxredis/transport"
 *
 * const retryable = (e: ConnectionError): boolean => (["Refused", "Timeout", "Closed"] as Array<ConnectionErrorReason>).includes(e.reason)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type ConnectionErrorReason =
  | "Refused"
  | "NotFound"
  | "PermissionDenied"
  | "Timeout"
  | "Closed"
  | "Tls"
  | "Handshake"
  | "Offline"
  | "QueueFull"
  | "Unknown"

/**
 * A link to a server could not be opened, or was lost. `endpoint` never contains a password. For a command that
 * was in flight when the link dropped, `sent` tells whether it had been written (then it may or may not have run).
 *
 * @example
 * ```ts
 * import { ConnectionError } from "@fxredis/transport"
 * import { Effect } from "effect"
 *
 * declare const command: Effect.Effect<string, ConnectionError>
 * const fallback = command.pipe(
 *   Effect.catchTag("ConnectionError", (e) => Effect.succeed(`unavailable (${e.reason})`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  endpoint: Schema.String,
  reason: Schema.Literals([
    "Refused",
    "NotFound",
    "PermissionDenied",
    "Timeout",
    "Closed",
    "Tls",
    "Handshake",
    "Offline",
    "QueueFull",
    "Unknown"
  ]),
  message: Schema.String,
  sent: Schema.optional(Schema.Boolean),
  cause: Schema.optional(Schema.Defect())
}) {}

const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

/**
 * Maps a Node.js socket error to a `ConnectionError`.
 *
 * @example
 * ```ts
 * import { fromNodeError, tcp } from "@fxredis/transport"
 *
 * const error = fromNodeError(tcp("127.0.0.1", 1), Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))
 * error.reason // "Refused"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromNodeError = (endpoint: Endpoint, error: unknown): ConnectionError => {
  const name = format(endpoint)
  const text = error instanceof Error ? error.message : String(error)
  return new ConnectionError({ endpoint: name, reason: reasonOf(error), message: `${name}: ${text}`, cause: error })
}

/**
 * The reason of a Node.js socket error, by its `code`: the one errno classification of every transport.
 *
 * @example
 * ```ts
 * import { reasonOf } from "@fxredis/transport"
 *
 * reasonOf(Object.assign(new Error("no such file"), { code: "ENOENT" })) // "NotFound"
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const reasonOf = (error: unknown): ConnectionErrorReason => {
  const code = codeOf(error)
  return code === "ECONNREFUSED"
    ? "Refused"
    : code === "ENOENT" || code === "ENOTFOUND" || code === "EAI_AGAIN"
      ? "NotFound"
      : code === "EACCES" || code === "EPERM"
        ? "PermissionDenied"
        : code === "ETIMEDOUT"
          ? "Timeout"
          : code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED"
            ? "Closed"
            : code !== undefined &&
                (code.startsWith("ERR_TLS") ||
                  code.startsWith("ERR_SSL") ||
                  code.includes("CERT") ||
                  code === "DEPTH_ZERO_SELF_SIGNED_CERT" ||
                  code === "SELF_SIGNED_CERT_IN_CHAIN")
              ? "Tls"
              : "Unknown"
}
