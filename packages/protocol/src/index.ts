/**
 * `@fxredis/protocol`: a pure RESP2/RESP3 codec. No sockets, no timers, no global state.
 *
 * @since 0.1.0
 */
export * from "./ProtocolError.ts"
export * from "./RespDecoder.ts"
export * from "./RespEncoder.ts"
export * from "./RespValue.ts"
export * from "./ServerError.ts"
