/**
 * The `node:tls` connect options of a TLS endpoint, shared by every transport.
 *
 * @internal
 */
import * as Net from "node:net"
import type * as Tls from "node:tls"
import type { TlsEndpoint } from "../Endpoint.ts"

/**
 * `servername` (SNI, and the name the certificate is checked against) defaults to the host unless the host is an IP
 * address, where SNI is not allowed; `rejectUnauthorized` defaults to true.
 */
export const tlsOptions = (endpoint: TlsEndpoint): Tls.ConnectionOptions => ({
  host: endpoint.host,
  port: endpoint.port,
  servername: endpoint.servername ?? (Net.isIP(endpoint.host) === 0 ? endpoint.host : undefined),
  rejectUnauthorized: endpoint.rejectUnauthorized ?? true,
  ...(endpoint.ca === undefined ? {} : { ca: Buffer.from(endpoint.ca) }),
  ...(endpoint.cert === undefined ? {} : { cert: Buffer.from(endpoint.cert) }),
  ...(endpoint.key === undefined ? {} : { key: Buffer.from(endpoint.key) })
})
