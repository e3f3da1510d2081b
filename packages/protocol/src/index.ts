/**
 * `@fxredis/protocol`: a RESP2/RESP3 codec without I/O. No sockets, no timers, no global state.
 *
 * It is written for Node (and runtimes that provide Node's `Buffer` and `node:buffer`, such as Bun and Deno): the
 * encoder and decoder build and slice `Buffer`s, whose native UTF-8 encoding and decoding make them fast, so it is
 * not a browser-portable codec. Its inputs and outputs are plain `Uint8Array`s (the decoder's byte views are
 * `Buffer`s) and values.
 *
 * @since 0.1.0
 */
export * from "./ProtocolError.ts"
export * from "./RespDecoder.ts"
export * from "./RespEncoder.ts"
export * from "./RespValue.ts"
export * from "./ServerError.ts"
