/**
 * Classifies server error replies by their code, in one place.
 *
 * Redis error replies start with an upper-case word (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `MOVED`, `ASK`, `NOAUTH`,
 * `WRONGPASS`, `BUSY`, `LOADING`, `READONLY`, `EXECABORT`, `NOPERM`…). Unknown codes are kept as they are.
 *
 * @since 0.1.0
 */

/**
 * The error code of an error reply's text: its first word when that word is all upper case (letters, digits, `_`,
 * `-`), else `"ERR"`.
 *
 * @example
 * ```ts
 * import { errorCode } from "@fxredis/protocol"
 *
 * errorCode("WRONGTYPE Operation against a key holding the wrong kind of value") // "WRONGTYPE"
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const errorCode = (text: string): string => {
  let end = 0
  while (end < text.length) {
    const c = text.charCodeAt(end)
    if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45) end++
    else break
  }
  if (end === 0 || (end < text.length && text.charCodeAt(end) !== 32)) return "ERR"
  return text.slice(0, end)
}

/**
 * Codes after which the same command may succeed if retried later (the server is loading, busy, or failing over).
 *
 * @example
 * ```ts
 * import { isTransient } from "@fxredis/protocol"
 *
 * isTransient("LOADING") // true: retry later
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const isTransient = (code: string): boolean =>
  code === "LOADING" || code === "BUSY" || code === "TRYAGAIN" || code === "MASTERDOWN" || code === "CLUSTERDOWN"
