/**
 * Who may use the dashboard: pure checks on request headers, each throwing a
 * {@link DashboardRequestError} (401/403) when refused.
 *
 * - Host: a page of another site that resolves its own name to 127.0.0.1 (DNS
 *   rebinding) sends its own name as Host; only the dashboard's own names pass.
 * - Basic auth (optional): compared in constant time.
 * - Mutations (POST): the per-process token in a header, which a page of
 *   another origin cannot send (a custom header needs a CORS preflight that
 *   the dashboard never grants) and cannot read (it is only in the page, which
 *   the same-origin policy hides from other sites); and an `Origin` /
 *   `Sec-Fetch-Site`, when the browser sends them, of the dashboard itself.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { DashboardRequestError } from './request-error';

/** The header a mutating request carries the token in. */
export const TOKEN_HEADER = 'x-dashboard-token';

/** A new per-process token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Credentials for HTTP basic auth. */
export interface BasicAuthCredentials {
  /** The user name the browser must send. */
  readonly username: string;
  /** The password, compared in constant time. */
  readonly password: string;
}

/** Equal strings, in a time that does not depend on where they differ (nor on their lengths: both are hashed first). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a, 'utf8').digest(), createHash('sha256').update(b, 'utf8').digest());
}

/** The names of this machine's loopback interface. */
const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

/** Whether listening on `host` keeps the dashboard to this machine. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host.toLowerCase());
}

/** Whether `host` is an address of every interface (its names are not known). */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/**
 * The Host values the dashboard answers to when bound to `host`:`port`: its
 * own name, `extra`, and on a loopback or wildcard address the loopback names.
 * Never any Host: on a wildcard address that would let a rebinding page in.
 */
export function allowedHostsFor(host: string, port: number, extra: readonly string[] = []): ReadonlySet<string> {
  const own = (h: string): string => `${isIPv6(h) ? `[${h}]` : h}:${port}`.toLowerCase();
  const wildcard = isWildcardHost(host);
  const names = new Set(extra.map((h) => h.toLowerCase()));
  if (!wildcard) names.add(own(host));
  if (wildcard || isLoopbackHost(host)) {
    for (const h of LOOPBACK_NAMES) names.add(own(h));
  }
  return names;
}

/** Refuses a request whose Host header is not one of the dashboard's names (403). */
export function checkHost(hostHeader: string | undefined, allowed: ReadonlySet<string>): void {
  if (hostHeader === undefined || !allowed.has(hostHeader.toLowerCase())) {
    throw new DashboardRequestError(403, `Host ${JSON.stringify(hostHeader ?? '')} is not this dashboard (expected ${[...allowed].join(' or ')})`, 'host');
  }
}

/** Refuses a request without the right basic-auth credentials (401; the server adds `WWW-Authenticate`). */
export function checkBasicAuth(authorization: string | undefined, credentials: BasicAuthCredentials): void {
  const m = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(authorization ?? '');
  const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? '' : decoded.slice(0, colon);
  const pass = colon < 0 ? '' : decoded.slice(colon + 1);
  // Both compared, always: the time taken says nothing about which one was wrong.
  const userOk = constantTimeEqual(user, credentials.username);
  const passOk = constantTimeEqual(pass, credentials.password);
  if (!m || colon < 0 || !userOk || !passOk) throw new DashboardRequestError(401, 'basic auth required', 'authorization');
}

/** The headers {@link checkMutation} reads (lower-case names, as node gives them). */
export interface MutationHeaders {
  readonly host?: string;
  readonly origin?: string;
  readonly 'sec-fetch-site'?: string;
  readonly [TOKEN_HEADER]?: string;
}

/** Refuses a POST that is not from the dashboard's own page (403): wrong or missing token, another origin. */
export function checkMutation(headers: MutationHeaders, token: string): void {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new DashboardRequestError(403, `a ${site} request may not change anything`, 'sec-fetch-site');
  }
  const origin = headers.origin;
  // The scheme is not compared: behind a TLS-terminating proxy the page is https:// and the Host the same.
  if (origin !== undefined && (headers.host === undefined || originHost(origin) !== headers.host.toLowerCase())) {
    throw new DashboardRequestError(403, `Origin ${JSON.stringify(origin)} is not this dashboard`, 'origin');
  }
  const given = headers[TOKEN_HEADER];
  if (typeof given !== 'string' || !constantTimeEqual(given, token)) {
    throw new DashboardRequestError(403, `a change needs the dashboard's token in the ${TOKEN_HEADER} header (the page carries it)`, TOKEN_HEADER);
  }
}

/** The `host[:port]` of an http(s) Origin, lower-case (as URL gives it, without a default port); null for anything else (`null`, another scheme). */
function originHost(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : null;
  } catch {
    return null;
  }
}
