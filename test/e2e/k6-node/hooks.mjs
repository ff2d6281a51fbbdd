// Module resolution hook: `k6` and `k6/<name>` load ./modules/<name>.mjs.
const MODULES = new URL('./modules/', import.meta.url);

export function resolve(specifier, context, next) {
  const match = /^k6(?:\/(\w+))?$/.exec(specifier);
  if (!match) {
    return next(specifier, context);
  }
  return { url: new URL(`${match[1] ?? 'k6'}.mjs`, MODULES).href, shortCircuit: true };
}
