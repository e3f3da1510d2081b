/**
 * The one failure of the codec: bytes that are not RESP.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * The server sent bytes that are not valid RESP. `offset` is the absolute byte offset in the stream (since the
 * decoder's last reset) where the problem was found, and `expected` says what should have been there. After this
 * error the decoder refuses further input until `reset()`: the connection can no longer be trusted.
 *
 * @example
 * ```ts
 * import { RespDecoder } from "@fxredis/protocol"
 *
 * const error = new RespDecoder().feed(new TextEncoder().encode("?oops\r\n"), () => {})
 * error?.offset // 0
 * error?.expected // "a RESP type byte"
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{
  readonly offset: number
  readonly expected: string
  readonly message: string
  /** what was thrown, when the decoder failed unexpectedly rather than on malformed input */
  readonly cause?: unknown
}> {}
