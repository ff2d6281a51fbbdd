/**
 * Whether a handshake's Origin is on the allowlist. Browsers always send Origin; clients
 * that send none (native apps, mini-game runtimes, servers) are not browsers and the
 * allowlist, a browser protection, does not apply to them.
 */
export const originAllowed = (origin: string | undefined, allowed: readonly string[]): boolean =>
  origin === undefined || allowed.includes(origin);
